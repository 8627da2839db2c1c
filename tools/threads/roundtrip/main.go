//go:build linux

// Command roundtrip measures how far apart a machine's CPUs are: the round trip of a cache line
// between two threads pinned to two CPUs, each waiting for the other's write. On one Zen 5 core
// complex it is ~80–130 ns; where a VM's vCPUs sit on different core complexes (or sockets) it
// is ~400 ns, and kernels split across threads pay that for every line one thread writes and
// another reads (BENCHMARKS.md "Session 24").
//
//	roundtrip [-n ROUNDS] [-json] [CPU...]
//
// prints the round trip between the first CPU given (default 0) and each other one (default:
// every CPU this process may run on), one line each; with -json one line
// {"from":0,"to":[1,…],"ns":[…],"max_ns":…}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	rounds := flag.Int("n", 50000, "round trips per pair")
	asJSON := flag.Bool("json", false, "print one JSON line")
	flag.Parse()
	cpus, err := cpuList(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "roundtrip:", err)
		os.Exit(2)
	}
	if len(cpus) < 2 {
		fmt.Fprintln(os.Stderr, "roundtrip: needs two CPUs")
		os.Exit(2)
	}
	from, ns, worst := cpus[0], []float64{}, 0.0
	for _, to := range cpus[1:] {
		d, err := roundTrip(from, to, *rounds)
		if err != nil {
			fmt.Fprintln(os.Stderr, "roundtrip:", err)
			os.Exit(1)
		}
		ns, worst = append(ns, d), max(worst, d)
		if !*asJSON {
			fmt.Printf("cpu %d - cpu %d: %.0f ns round trip\n", from, to, d)
		}
	}
	if *asJSON {
		b, _ := json.Marshal(map[string]any{"from": from, "to": cpus[1:], "ns": ns, "max_ns": worst})
		fmt.Println(string(b))
	}
}

// cpuList returns the CPUs named in args, or every CPU in this process's affinity mask.
func cpuList(args []string) ([]int, error) {
	var cpus []int
	for _, a := range args {
		c, err := strconv.Atoi(a)
		if err != nil || c < 0 {
			return nil, fmt.Errorf("bad CPU %q", a)
		}
		cpus = append(cpus, c)
	}
	if len(cpus) > 0 {
		return cpus, nil
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// pin locks the calling goroutine to its thread and that thread to cpu. The goroutine exits
// still locked, which ends the thread, so no pinned thread is left to the Go scheduler.
func pin(cpu int) error {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

// roundTrip returns the mean time, in ns, of rounds round trips of a cache line between a
// thread on cpu a and one on cpu b.
func roundTrip(a, b, rounds int) (float64, error) {
	var line atomic.Int64  // 2i-1: a's i-th write; 2i: b's answer
	var failed atomic.Bool // a side could not pin its thread
	type result struct {
		ns  float64
		err error
	}
	res := make(chan result, 2)
	go func() { // b: answers each odd value
		if err := pin(b); err != nil {
			failed.Store(true)
			res <- result{err: fmt.Errorf("cpu %d: %v", b, err)}
			return
		}
		for i := int64(1); i <= int64(rounds); i++ {
			for v := line.Load(); v != 2*i-1; v = line.Load() {
				if failed.Load() {
					res <- result{}
					return
				}
			}
			line.Store(2 * i)
		}
		res <- result{}
	}()
	go func() { // a: writes, waits for the answer, and times it
		if err := pin(a); err != nil {
			failed.Store(true)
			res <- result{err: fmt.Errorf("cpu %d: %v", a, err)}
			return
		}
		start := time.Now()
		for i := int64(1); i <= int64(rounds); i++ {
			line.Store(2*i - 1)
			for v := line.Load(); v != 2*i; v = line.Load() {
				if failed.Load() {
					res <- result{}
					return
				}
			}
		}
		res <- result{ns: float64(time.Since(start).Nanoseconds()) / float64(rounds)}
	}()
	var out result
	for range 2 {
		r := <-res
		if r.err != nil && out.err == nil {
			out.err = r.err
		}
		out.ns = max(out.ns, r.ns)
	}
	return out.ns, out.err
}
