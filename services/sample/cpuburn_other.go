//go:build !linux

package main

import (
	"context"
	"runtime"
	"time"
)

// burnCPU spins for d of wall-clock time. Outside Linux there is no portable
// per-thread CPU clock, so under CPU contention this burns less than d of CPU;
// the container image is Linux-only and uses the thread-CPU version.
func burnCPU(ctx context.Context, d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, nil
	}
	start := time.Now()
	x := uint64(start.UnixNano())
	for round := 0; ; round++ {
		x = spin(x)
		used := time.Since(start)
		if used >= d {
			runtime.KeepAlive(x)
			return used, nil
		}
		if round%16 == 0 && ctx.Err() != nil {
			return used, ctx.Err()
		}
	}
}
