// Command testsum reads `go test -json` output on stdin, prints each
// package's result, the output of every failed test, and one summary line
// "go test: N passed, N failed, N skipped". It exits 1 if anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	label := "go test"
	if len(os.Args) > 1 {
		label = os.Args[1]
	}
	output := map[string]*strings.Builder{} // package/test → output
	var passed, failed, skipped int
	var failedTests []string
	running := map[string]bool{} // started, not (yet) ended: a crash leaves them here
	pkgFailed := 0
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			// Build errors and other non-JSON lines go straight through.
			fmt.Println(string(line))
			continue
		}
		key := ev.Package + "/" + ev.Test
		switch ev.Action {
		case "run":
			running[key] = true
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			if b.Len() < 64<<10 {
				b.WriteString(ev.Output)
			}
		case "pass", "fail", "skip":
			if ev.Test == "" {
				status := map[string]string{"pass": "ok  ", "fail": "FAIL", "skip": "?   "}[ev.Action]
				fmt.Printf("%s\t%s\t%.2fs\n", status, ev.Package, ev.Elapsed)
				if ev.Action == "fail" {
					pkgFailed++
					if b := output[key]; b != nil {
						fmt.Print(b.String())
					}
				}
				continue
			}
			delete(running, key)
			switch ev.Action {
			case "pass":
				passed++
			case "fail":
				failed++
				failedTests = append(failedTests, key)
			case "skip":
				skipped++
			}
		}
	}
	// A test binary that crashed (panic in a goroutine, os.Exit, time-out)
	// ends its running tests without a verdict; their output says why.
	for k := range running {
		failed++
		failedTests = append(failedTests, k+" (never finished: the test binary stopped)")
		output[k+" (never finished: the test binary stopped)"] = output[k]
	}
	sort.Strings(failedTests)
	for _, k := range failedTests {
		fmt.Printf("--- FAIL: %s\n", k)
		if b := output[k]; b != nil {
			fmt.Print(b.String())
		}
	}
	fmt.Printf("%s: %d passed, %d failed, %d skipped\n", label, passed, failed, skipped)
	if failed > 0 || pkgFailed > 0 {
		os.Exit(1)
	}
}
