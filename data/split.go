package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Split carves a training part of nTrain images and a validation part of
// nVal images out of train (the official training set), stratified by class:
// each class keeps its share of the whole in both parts, to within one image.
// The choice is random from seed (with StreamSplit) and the same seed gives
// the same parts. nTrain+nVal may be less than train.N, for a quick run on a
// subset. Both parts keep the images in their original order; they are
// copies, so train can be dropped afterwards.
func Split(train Images, nTrain, nVal int, seed uint64) (trainPart, valPart Images, err error) {
	if nTrain < 1 || nVal < 0 {
		return Images{}, Images{}, fmt.Errorf("split: need at least 1 training image and no negative count, asked for %d training and %d validation", nTrain, nVal)
	}
	if nTrain+nVal > train.N {
		return Images{}, Images{}, fmt.Errorf("split: asked for %d training + %d validation = %d images, but the training set has only %d",
			nTrain, nVal, nTrain+nVal, train.N)
	}
	parts := stratify(train.Labels, nTrain, nVal, seed)
	return train.subset(parts[0]), train.subset(parts[1]), nil
}

// Subset takes n images out of im, stratified by class and chosen at random
// from seed: a smaller test set for a quick demonstration, say.
func Subset(im Images, n int, seed uint64) (Images, error) {
	if n < 1 || n > im.N {
		return Images{}, fmt.Errorf("subset: asked for %d images out of %d", n, im.N)
	}
	return im.subset(stratify(im.Labels, n, 0, seed)[0]), nil
}

// stratify picks disjoint sets of a and b indices into labels, each class
// getting its share, and returns them sorted.
func stratify(labels []uint8, a, b int, seed uint64) [2][]int {
	var byClass [256][]int
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	counts := make([]int, 256)
	for c := range byClass {
		counts[c] = len(byClass[c])
	}
	take := apportion(a+b, counts)
	takeB := apportion(b, take)
	rng := rand.New(rand.NewPCG(seed, StreamSplit))
	var parts [2][]int
	for c, idx := range byClass {
		if len(idx) == 0 {
			continue
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		parts[1] = append(parts[1], idx[:takeB[c]]...)
		parts[0] = append(parts[0], idx[takeB[c]:take[c]]...)
	}
	slices.Sort(parts[0])
	slices.Sort(parts[1])
	return parts
}

// apportion divides total among weights in proportion (largest remainders,
// ties to the lower index). When total <= sum(weights), no share exceeds
// its weight.
func apportion(total int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	shares := make([]int, len(weights))
	if sum == 0 {
		return shares
	}
	rems := make([]int64, len(weights))
	given := 0
	for i, w := range weights {
		q := int64(total) * int64(w)
		shares[i] = int(q / int64(sum))
		rems[i] = q % int64(sum)
		given += shares[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case rems[i] > rems[j]:
			return -1
		case rems[i] < rems[j]:
			return 1
		}
		return 0
	})
	for k := 0; given < total; k++ {
		shares[order[k]]++
		given++
	}
	return shares
}
