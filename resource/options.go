package resource

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/patinox/memory/pressure"
)

// Options configures a Registry. A nil *Options means all defaults; a zero
// field means that field's default. NewRegistry validates every field and
// names the bad one in its error.
type Options struct {
	// Workers bounds the goroutines that run queued cleanups (ReleaseAsync,
	// expiry, leaks, Shutdown). Workers are started on demand and exit when
	// every lane is empty, so an idle registry runs no goroutine.
	// Default: max(2, GOMAXPROCS).
	Workers int

	// CleanupTimeout bounds each cleanup attempt through its context.
	// Default 30s. WithCleanupTimeout overrides it per resource.
	CleanupTimeout time.Duration

	// MaxAttempts is how many times a cleanup whose errors classify as Retry
	// is attempted in all, at most: once the context of the release (the
	// caller's, or Shutdown's for queued cleanups) has ended, a failed
	// attempt is the last one, unless a retry was already promised (see
	// Registry.Release). Default 3.
	MaxAttempts int

	// RetryBackoff is the delay before the first retry; it doubles for each
	// further retry (20 times at most; a delay too long for a Duration is
	// the longest Duration), with jitter (each delay is drawn from
	// [d/2, d]). Default 100ms.
	RetryBackoff time.Duration

	// Leaks selects the leak detector's level. Default LeaksSampled.
	Leaks LeakLevel

	// LeakSampleRate: with LeaksSampled, one guard in LeakSampleRate records
	// its creation stack. Default 128.
	LeakSampleRate int

	// FailureHistory is how many of the most recent *CleanupError values
	// Failures keeps (all are counted in Stats). Default 128.
	FailureHistory int

	// Observer receives every event. It is called synchronously on the
	// goroutine where the event happens, never under a registry lock; it
	// must be safe for concurrent use and should be quick.
	Observer Observer

	// Logger, if set, also receives every event through SlogObserver.
	Logger *slog.Logger

	// Pressure, if set, makes the registry give memory back when the
	// monitor reports pressure: at Moderate, High and Critical it reclaims
	// (see Registry.Reclaim) 10%, 50% and 100% of the bytes its Reclaimable
	// resources hold, in steps, stopping early when the level drops. At
	// High and Critical it then also shrinks its own slot arrays, free
	// lists, timer heap and queues if a past burst left them mostly empty
	// (without pressure they shrink after a window of further use).
	// Shutdown ends the subscription; the registry does not close the monitor.
	Pressure *pressure.Monitor
}

type config struct {
	workers        int
	cleanupTimeout time.Duration
	maxAttempts    int
	retryBackoff   time.Duration
	leaks          LeakLevel
	sampleRate     int
	failureHistory int
	obs            Observer
	pressure       *pressure.Monitor
}

func (o *Options) config() (config, error) {
	c := config{
		workers:        max(2, runtime.GOMAXPROCS(0)),
		cleanupTimeout: 30 * time.Second,
		maxAttempts:    3,
		retryBackoff:   100 * time.Millisecond,
		leaks:          LeaksSampled,
		sampleRate:     128,
		failureHistory: 128,
	}
	if o == nil {
		return c, nil
	}
	if err := o.validate(); err != nil {
		return c, err
	}
	setIf(&c.workers, o.Workers)
	setIf(&c.cleanupTimeout, o.CleanupTimeout)
	setIf(&c.maxAttempts, o.MaxAttempts)
	setIf(&c.retryBackoff, o.RetryBackoff)
	setIf(&c.sampleRate, o.LeakSampleRate)
	setIf(&c.failureHistory, o.FailureHistory)
	c.leaks = o.Leaks
	c.obs = o.Observer
	c.pressure = o.Pressure
	if o.Logger != nil {
		c.obs = multiObserver(c.obs, SlogObserver(o.Logger))
	}
	return c, nil
}

func setIf[T int | time.Duration](dst *T, v T) {
	if v != 0 {
		*dst = v
	}
}

func (o *Options) validate() error {
	checks := []struct {
		field string
		bad   bool
		got   any
		want  string
	}{
		{"Workers", o.Workers < 0, o.Workers, ">= 0"},
		{"CleanupTimeout", o.CleanupTimeout < 0, o.CleanupTimeout, ">= 0"},
		{"MaxAttempts", o.MaxAttempts < 0, o.MaxAttempts, ">= 0"},
		{"RetryBackoff", o.RetryBackoff < 0, o.RetryBackoff, ">= 0"},
		{"Leaks", o.Leaks < LeaksSampled || o.Leaks > LeaksAll, o.Leaks, "LeaksSampled, LeaksOff or LeaksAll"},
		{"LeakSampleRate", o.LeakSampleRate < 0, o.LeakSampleRate, ">= 0"},
		{"FailureHistory", o.FailureHistory < 0, o.FailureHistory, ">= 0"},
	}
	for _, c := range checks {
		if c.bad {
			return fmt.Errorf("resource: Options.%s must be %s, got %v", c.field, c.want, c.got)
		}
	}
	return nil
}
