package main

import (
	"slices"
	"testing"
	"time"
)

func TestLifecycleOnlyMovesForward(t *testing.T) {
	t.Parallel()
	clock := time.Unix(1000, 0)
	life := newLifecycle(func() time.Time { return clock })
	var seen []State
	life.observe(func(s State) { seen = append(seen, s) })

	steps := []struct {
		to   State
		want bool
	}{
		{StateSyncing, true},
		{StateStarting, false},
		{StateReady, true},
		{StateStopping, true},
		{StateReady, false}, // a late "ready" must not undo "stopping"
		{StateStopping, false},
	}
	for _, step := range steps {
		clock = clock.Add(time.Second)
		if got := life.advance(step.to); got != step.want {
			t.Errorf("advance(%v) = %v, want %v", step.to, got, step.want)
		}
	}
	if life.State() != StateStopping {
		t.Errorf("state %v, want stopping", life.State())
	}
	if want := []State{StateStarting, StateSyncing, StateReady, StateStopping}; !slices.Equal(seen, want) {
		t.Errorf("observer saw %v, want %v", seen, want)
	}
}

func TestShutdownDurationGrowsThenFreezes(t *testing.T) {
	t.Parallel()
	clock := time.Unix(1000, 0)
	life := newLifecycle(func() time.Time { return clock })
	life.advance(StateSyncing)
	if d := life.shutdownDuration(); d != 0 {
		t.Fatalf("before a shutdown: %v, want 0", d)
	}
	life.advance(StateStopping)
	clock = clock.Add(3 * time.Second)
	if d := life.shutdownDuration(); d != 3*time.Second {
		t.Fatalf("during shutdown: %v, want 3s", d)
	}
	life.markStopped()
	clock = clock.Add(time.Hour)
	if d := life.shutdownDuration(); d != 3*time.Second {
		t.Fatalf("after shutdown: %v, want it frozen at 3s", d)
	}
	if life.reached(StateReady) {
		t.Error("reached(ready) after going from syncing straight to stopping")
	}
}
