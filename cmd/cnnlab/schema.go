package main

import (
	"io"

	"github.com/cnnlab/cnnlab/experiments"
)

func init() {
	register(&command{
		name:    "schema",
		summary: "print the JSON Schema of experiment files (for editors)",
		usage: `  cnnlab schema

Prints a JSON Schema (draft-07) of the experiment format: every key with its
type, default, bounds or choices and a one-line description, and every layer
kind with its keys. The repository keeps it as ` + experiments.SchemaFile + `;
an experiment file whose first line is

    # yaml-language-server: $schema=PATH/TO/cnnlab.schema.json

is completed and checked as it is typed by editors using yaml-language-server
(VS Code's YAML extension, Neovim, Helix, …). cnnlab validate remains the
full check (shapes, sweeps, data).`,
		run: func(args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return usageError{"takes no arguments"}
			}
			_, err := stdout.Write(experiments.Schema())
			return err
		},
	})
}
