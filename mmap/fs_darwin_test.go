package mmap_test

// onTmpfs reports whether path is on tmpfs; darwin has none.
func onTmpfs(string) bool { return false }

// rereadFromDisk is not possible on darwin (no POSIX_FADV_DONTNEED).
func rereadFromDisk(string) (bool, error) { return false, nil }

// hugeMappedMiB is 0 on darwin: no huge file pages.
func hugeMappedMiB() float64 { return 0 }
