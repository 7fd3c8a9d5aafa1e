package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // the demo ran and found something unaccounted for, or could not run
	exitUsage   = 2 // bad command line
	programName = "patinox-mem"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line (without the program name) and returns the
// exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n", programName, args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `%[1]s demonstrates github.com/patinox/memory.

Usage:

	%[1]s <command> [flags]

Commands:

	demo    simulate an agent fleet that opens, leaks, fails and releases
	        tracked resources; print what happened; exit non-zero if any
	        resource is unaccounted for
	help    show this help

Run '%[1]s demo -h' for the demo's flags. Example:

	go run ./cmd/patinox-mem demo --agents 50 --duration 3s --seed 1
	go run ./cmd/patinox-mem demo --memlimit 256MiB --duration 10s
`, programName)
}
