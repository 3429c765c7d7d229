package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// State is the lifecycle phase of the process. It only moves forward:
//
//	starting -> syncing -> ready -> stopping
//
// (syncing may also go straight to stopping). It plays the role of
// Prometheus's NotReady/Ready/Stopping: readiness passes only in ready.
type State int32

const (
	// StateStarting: the process runs but has not opened its ports
	// (SAMPLE_LISTEN_DELAY). Nobody can observe it over the network.
	StateStarting State = iota
	// StateSyncing: ports are open, liveness passes, readiness and startup
	// fail while the process "loads its data" (SAMPLE_SYNC_DURATION,
	// SAMPLE_WARMUP_ALLOC).
	StateSyncing
	// StateReady: readiness, startup and gRPC health pass.
	StateReady
	// StateStopping: a shutdown began; readiness fails, liveness still passes.
	StateStopping

	stateCount = 4
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateSyncing:
		return "syncing"
	case StateReady:
		return "ready"
	case StateStopping:
		return "stopping"
	}
	return "unknown"
}

// lifecycle holds the current State behind an atomic, so probes read it
// without locks, and tells observers about each transition in order.
type lifecycle struct {
	current   atomic.Int32
	enteredAt [stateCount]atomic.Int64 // unix nanoseconds; 0 = never entered
	stoppedAt atomic.Int64             // unix nanoseconds when shutdown finished

	mu        sync.Mutex // serialises transitions and observer calls
	observers []func(State)
	now       func() time.Time
}

func newLifecycle(now func() time.Time) *lifecycle {
	l := &lifecycle{now: now}
	l.enteredAt[StateStarting].Store(now().UnixNano())
	return l
}

// State returns the current state.
func (l *lifecycle) State() State { return State(l.current.Load()) }

// observe registers f to be called with every later transition, and calls it
// once at once with the current state so the observer starts in sync.
func (l *lifecycle) observe(f func(State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observers = append(l.observers, f)
	f(l.State())
}

// advance moves to state to if that is forward, and reports whether it did.
// Moving backwards or staying is refused, so a late "ready" from the sync
// goroutine cannot undo "stopping".
func (l *lifecycle) advance(to State) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.State() >= to {
		return false
	}
	l.enteredAt[to].Store(l.now().UnixNano())
	l.current.Store(int32(to))
	for _, f := range l.observers {
		f(to)
	}
	return true
}

// reached reports whether the process has ever been in state s. A process
// stopped while syncing has reached stopping but never ready.
func (l *lifecycle) reached(s State) bool { return l.enteredAt[s].Load() != 0 }

// since returns how long ago the process entered s, or 0 if it never did.
func (l *lifecycle) since(s State) time.Duration {
	at := l.enteredAt[s].Load()
	if at == 0 {
		return 0
	}
	return l.now().Sub(time.Unix(0, at))
}

// markStopped records that shutdown finished, freezing shutdownDuration.
func (l *lifecycle) markStopped() { l.stoppedAt.Store(l.now().UnixNano()) }

// shutdownDuration is the time spent in stopping: 0 before a shutdown
// began, growing during it, and fixed once markStopped was called.
func (l *lifecycle) shutdownDuration() time.Duration {
	began := l.enteredAt[StateStopping].Load()
	if began == 0 {
		return 0
	}
	end := l.stoppedAt.Load()
	if end == 0 {
		end = l.now().UnixNano()
	}
	return time.Duration(end - began)
}
