package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cnnlab/cnnlab/reports"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "serve the report on localhost and keep it current while runs train",
		usage: `  cnnlab serve [--results DIR] [--out DIR] [--addr HOST:PORT] [--interval DURATION]

Builds the report as cnnlab report does, serves it at http://HOST:PORT/
(default 127.0.0.1:8080; port 0 picks a free one) and builds it again
whenever a run record changes, looking every --interval (default 1s). Only
what depends on the changed runs is made again. Open pages update in place
within a few seconds of a new epoch, without reloading. The site folder
stays a plain static site: opened from disk it shows the last build. The
server answers only requests to this machine (localhost). Ctrl-C stops it.`,
		run: runServe,
	})
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	results := fs.String("results", "results", "the results folder")
	out := fs.String("out", "", "the site folder (default RESULTS-site)")
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on")
	interval := fs.Duration("interval", time.Second, "how often the records are looked at")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *interval < 100*time.Millisecond || *interval > time.Hour {
		return usageError{fmt.Sprintf("--interval %s: want between 100ms and 1h", *interval)}
	}
	if *out == "" {
		*out = reports.DefaultOut(*results)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()

	live := reports.NewLive(reports.Options{Results: *results, Out: *out, Warn: stderr}, *interval, stdout)
	start := time.Now()
	sum, err := live.Build(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fmt.Fprintf(stdout, "report: %s, %s, %s in %s, built in %.1fs\n", plural(sum.Experiments, "experiment"),
		plural(sum.Runs, "run"), plural(sum.Pages, "page"), *out, time.Since(start).Seconds())
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(stderr, "warning: listening on %s, but only requests to localhost are answered\n", ln.Addr())
		}
	}
	fmt.Fprintf(stdout, "serving http://%s/ (Ctrl-C stops)\n", ln.Addr())
	done := make(chan struct{})
	go func() {
		defer close(done)
		live.Run(ctx)
	}()
	err = live.Serve(ctx, ln)
	stop()
	<-done
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}
