package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// burnCPU spins until the calling OS thread has consumed d of CPU time
// (CLOCK_THREAD_CPUTIME_ID), not d of wall-clock time. The goroutine is
// locked to its thread for the duration so that clock measures it alone.
//
// Why thread CPU time: under a CPU limit (CFS throttling) or on a busy node a
// request still costs the same CPU, and its latency grows, as real CPU-bound
// work does. A wall-clock loop would instead burn less CPU when starved and
// hide the throttling that HPA and latency scenarios want to show.
//
// It returns the CPU time used; the error is ctx's if ctx ended first.
func burnCPU(ctx context.Context, d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, err := threadCPUTime()
	if err != nil {
		return 0, err
	}
	x := uint64(start)
	for round := 0; ; round++ {
		x = spin(x)
		now, err := threadCPUTime()
		if err != nil {
			return 0, err
		}
		if used := now - start; used >= d {
			runtime.KeepAlive(x)
			return used, nil
		}
		if round%16 == 0 && ctx.Err() != nil {
			return now - start, ctx.Err()
		}
	}
}

func threadCPUTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("read thread CPU clock: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}
