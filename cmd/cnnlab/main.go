// Command cnnlab trains small convolutional networks described in YAML
// experiment files, runs sweeps over their settings and builds static HTML
// reports of the results.
//
// Usage:
//
//	cnnlab <command> [arguments]
//
// Run `cnnlab help` for the list of commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// command is one subcommand. Each lives in its own file and registers itself
// from an init function, so commands can be added without touching this file.
type command struct {
	name    string
	summary string // one line, shown by `cnnlab help`
	usage   string // shown by `cnnlab help NAME` and on a usage error
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("cnnlab: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// exitError carries an exit code without printing anything more; the command
// has already said what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is returned by a command whose arguments are wrong.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintf(stdout, "%s\n\n%s\n", c.summary, c.usage)
				return 0
			}
		}
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cnnlab: unknown command %q; run 'cnnlab help'\n", args[0])
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		// The synopsis only: the whole usage text would bury the message.
		synopsis, _, more := strings.Cut(c.usage, "\n\n")
		fmt.Fprintf(stderr, "cnnlab %s: %s\nusage:\n%s\n", c.name, ue.msg, synopsis)
		if more {
			fmt.Fprintf(stderr, "Run 'cnnlab help %s' for more.\n", c.name)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "cnnlab %s: %v\n", c.name, err)
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "cnnlab trains small convolutional networks described in YAML and reports on them.")
	fmt.Fprintln(w, "\nUsage: cnnlab <command> [arguments]\n\nCommands:")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cnnlab help <command>' for its usage.")
}
