package nn

import "math/rand/v2"

// Random streams of a run. Each is the second seed word of a PCG generator
// whose first word is the run seed (see NewRand), so streams do not depend
// on each other: drawing more dropout masks never changes the shuffling.
const (
	StreamInit    uint64 = 0x696e6974 // "init": initial weights
	StreamDropout uint64 = 0x64726f70 // "drop": dropout masks
	StreamShuffle uint64 = 0x73687566 // "shuf": order of training examples
	StreamAugment uint64 = 0x6175676d // "augm": data augmentation
)

// NewPCG returns the source of a run's random stream: a PCG generator seeded
// with (seed, stream). Its state can be saved with MarshalBinary (e.g. in a
// model file's meta bytes) and restored with UnmarshalBinary to resume.
func NewPCG(seed, stream uint64) *rand.PCG {
	return rand.NewPCG(seed, stream)
}

// NewRand returns the random stream of a run with the given seed:
// rand.New(NewPCG(seed, stream)).
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(NewPCG(seed, stream))
}
