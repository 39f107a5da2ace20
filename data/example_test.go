package data_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cnnlab/cnnlab/data"
)

// The way a training run uses the package: load, split, fit the
// preprocessing on the training part, then batch.
func Example() {
	ctx := context.Background()
	set, err := data.Load(ctx, "mnist", data.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	train, val, err := data.Split(set.Train, 55000, 5000, 1)
	if err != nil {
		log.Fatal(err)
	}
	prep, err := data.FitPreprocessor(data.PreprocessMinMax, train)
	if err != nil {
		log.Fatal(err)
	}
	aug := data.Augment{CropPad: 2}
	if err := aug.Validate(set.Name, set.H, set.W); err != nil {
		log.Fatal(err)
	}
	batches, err := data.NewBatcher(train, data.BatchOptions{Size: 64, Seed: 1, Preprocess: prep, Augment: aug, AugmentSeed: 2})
	if err != nil {
		log.Fatal(err)
	}
	x := make([]float32, 64*set.H*set.W*set.C) // NHWC
	labels := make([]int, 64)
	for epoch := 0; epoch < 1; epoch++ {
		for {
			n, err := batches.Next(x, labels)
			if err != nil {
				log.Fatal(err)
			}
			if n == 0 {
				break // end of the epoch; batches.State() is what a checkpoint saves
			}
			// train on x[:n*H*W*C], labels[:n]
		}
	}
	eval, err := data.NewEvalBatcher(val, 256, prep)
	if err != nil {
		log.Fatal(err)
	}
	_ = eval
	fmt.Println(train.N, val.N, set.Test.N)
}
