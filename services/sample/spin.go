package main

// spin does a few microseconds of pure arithmetic (a linear congruential
// generator) that the compiler cannot drop, because the result feeds the
// next call.
func spin(x uint64) uint64 {
	for range 4096 {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}
