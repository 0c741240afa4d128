// Command go_reference writes test vectors for distillgov's transparency log from Go's reference
// implementation (golang.org/x/mod/sumdb/note and sumdb/tlog), and checks a log that distillgov wrote.
//
// Usage: go run main.go INPUT_DIR > ../fixtures/go_vectors.json
// where INPUT_DIR was written by ../go_reference_input.py (see README.md).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	entryCount = 300
	height     = 8
	goKeyName  = "go.test/reference"
)

// entry is the canonical JSON (RFC 8785) of {"index": i, "kind": "go-reference", "pad": "x" * (i % 13)}:
// keys in order, no whitespace, so it is also the bytes distillgov's canonical_entry must produce.
func entry(i int) []byte {
	return []byte(fmt.Sprintf(`{"index":%d,"kind":"go-reference","pad":"%s"}`, i, strings.Repeat("x", i%13)))
}

type memoryHashes []tlog.Hash

func (m memoryHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// folderTiles reads tiles of a tlog-tiles folder (C2SP paths have no height element).
type folderTiles struct {
	dir  string
	read map[string]string // C2SP path -> sha256 of the bytes read
}

func (f *folderTiles) Height() int { return height }

func (f *folderTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := c2spPath(t)
		data, err := os.ReadFile(filepath.Join(f.dir, p))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		f.read[p] = hex.EncodeToString(sum[:])
		out[i] = data
	}
	return out, nil
}

func (f *folderTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), fmt.Sprintf("tile/%d/", height), "tile/", 1)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_reference:", err)
		os.Exit(1)
	}
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

type proofVector struct {
	TreeSize int64       `json:"tree_size"`
	Other    int64       `json:"other"` // entry index (record proofs) or old tree size (tree proofs)
	Proof    []tlog.Hash `json:"proof"`
}

type tileVector struct {
	Path   string `json:"path"`
	Sha256 string `json:"sha256"`
}

func main() {
	if len(os.Args) != 2 {
		must(errors.New("usage: go run main.go INPUT_DIR"))
	}
	input := os.Args[1]
	out := map[string]any{"generator": "golang.org/x/mod/sumdb (Debian golang-golang-x-mod-dev)", "entry_count": entryCount}

	// 1. Go's own tree over the reference entries.
	var stored memoryHashes
	all := sha256.New()
	for i := 0; i < entryCount; i++ {
		e := entry(i)
		all.Write(e)
		hashes, err := tlog.StoredHashes(int64(i), e, stored)
		must(err)
		stored = append(stored, hashes...)
	}
	out["entries_sha256"] = hex.EncodeToString(all.Sum(nil))
	out["stored_hashes"] = stored

	// x/mod 0.7.0's TreeHash(0) is the zero Hash; RFC 6962 (and later x/mod) says SHA-256 of "".
	// The vector keeps what this Go returns, and the Python test says which it accepts.
	treeHashes := make([]tlog.Hash, entryCount+1)
	for n := int64(0); n <= entryCount; n++ {
		h, err := tlog.TreeHash(n, stored)
		must(err)
		treeHashes[n] = h
	}
	out["tree_hashes"] = treeHashes

	var recordProofs, treeProofs []proofVector
	sizes := []int64{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 255, 256, 257, 299, 300}
	for _, t := range sizes {
		for _, n := range []int64{0, 1, t / 3, t / 2, t - 2, t - 1} {
			if n < 0 || n >= t {
				continue
			}
			p, err := tlog.ProveRecord(t, n, stored)
			must(err)
			must(tlog.CheckRecord(p, t, treeHashes[t], n, tlog.RecordHash(entry(int(n)))))
			recordProofs = append(recordProofs, proofVector{t, n, p})
		}
		for _, n := range []int64{1, 2, 3, t / 3, t / 2, t - 1, t} {
			if n < 1 || n > t {
				continue
			}
			p, err := tlog.ProveTree(t, n, stored)
			must(err)
			must(tlog.CheckTree(p, t, treeHashes[t], n, treeHashes[n]))
			treeProofs = append(treeProofs, proofVector{t, n, p})
		}
	}
	out["record_proofs"] = recordProofs
	out["tree_proofs"] = treeProofs

	indexes := [][3]int64{}
	for _, c := range [][2]int64{{0, 0}, {0, 1}, {1, 0}, {0, 255}, {8, 0}, {8, 1}, {3, 12345}, {16, 77}, {40, 3}, {0, 1 << 40}} {
		indexes = append(indexes, [3]int64{c[0], c[1], tlog.StoredHashIndex(int(c[0]), c[1])})
	}
	out["stored_hash_indexes"] = indexes
	counts := map[string]int64{}
	for _, n := range []int64{0, 1, 2, 3, 255, 256, 70000, 1 << 40} {
		counts[strconv.FormatInt(n, 10)] = tlog.StoredHashCount(n)
	}
	out["stored_hash_counts"] = counts

	tilesBySize := map[string][]tileVector{}
	for _, size := range []int64{1, 7, 255, 256, 257, 300} {
		var vs []tileVector
		for _, t := range treeTiles(size) {
			data, err := tlog.ReadTileData(t, stored)
			must(err)
			sum := sha256.Sum256(data)
			vs = append(vs, tileVector{c2spPath(t), hex.EncodeToString(sum[:])})
		}
		tilesBySize[strconv.FormatInt(size, 10)] = vs
	}
	out["tiles"] = tilesBySize
	var paths70000 []string
	for _, t := range treeTiles(70000) {
		paths70000 = append(paths70000, c2spPath(t))
	}
	out["tile_paths_70000"] = paths70000
	var examplePaths [][4]any
	for _, t := range []tlog.Tile{{H: 8, L: 0, N: 1234067, W: 256}, {H: 8, L: 1, N: 1234067, W: 17}, {H: 8, L: 63, N: 999, W: 1}, {H: 8, L: 2, N: 1000, W: 255}} {
		examplePaths = append(examplePaths, [4]any{t.L, t.N, t.W, c2spPath(t)})
	}
	out["tile_paths"] = examplePaths

	// 2. Go checks the log distillgov wrote: its signed checkpoint, its tiles, its bundles.
	logDir := filepath.Join(input, "log")
	vkey, err := os.ReadFile(filepath.Join(logDir, "vkey"))
	must(err)
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	must(err)
	signed, err := os.ReadFile(filepath.Join(logDir, "checkpoint"))
	must(err)
	opened, err := note.Open(signed, note.VerifierList(verifier))
	must(err)
	lines := strings.Split(opened.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	must(err)
	root, err := tlog.ParseHash(lines[2])
	must(err)
	skey, err := os.ReadFile(filepath.Join(input, "skey"))
	must(err)
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	must(err)
	resigned, err := note.Sign(&note.Note{Text: opened.Text}, signer)
	must(err)

	tiles := &folderTiles{dir: logDir, read: map[string]string{}}
	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles)
	records := 0
	for i := int64(0); i < size; i++ {
		w := size - (i>>height)<<height
		if w > 1<<height {
			w = 1 << height
		}
		bundlePath := strings.Replace(c2spPath(tlog.Tile{H: height, L: 0, N: i >> height, W: int(w)}), "tile/0/", "tile/entries/", 1)
		bundle, err := os.ReadFile(filepath.Join(logDir, bundlePath))
		must(err)
		e := bundleEntry(bundle, int(i&255))
		p, err := tlog.ProveRecord(size, i, reader)
		must(err)
		must(tlog.CheckRecord(p, size, root, i, tlog.RecordHash(e)))
		records++
	}
	trees := 0
	for n := int64(1); n <= size; n++ {
		p, err := tlog.ProveTree(size, n, reader)
		must(err)
		old, err := tlog.TreeHash(n, reader)
		must(err)
		must(tlog.CheckTree(p, size, root, n, old))
		trees++
	}
	out["go_checked_distillgov_log"] = map[string]any{
		"checkpoint_verified":   true,
		"checkpoint_sha256":     fmt.Sprintf("%x", sha256.Sum256(signed)),
		"tree_size":             size,
		"root_hash":             root,
		"resigned_by_go":        string(resigned),
		"records_proved":        records,
		"trees_proved":          trees,
		"tiles_read_sha256":     tiles.read,
		"tree_matches_go_build": root == treeHashes[size],
	}

	// 3. A checkpoint signed by Go, with a key Go generated (from a fixed seed, for a stable fixture).
	seed := sha256.Sum256([]byte("distillgov go reference key"))
	goSkey, goVkey, err := note.GenerateKey(bytes.NewReader(seed[:]), goKeyName)
	must(err)
	goSigner, err := note.NewSigner(goSkey)
	must(err)
	text := fmt.Sprintf("%s\n%d\n%s\n", goKeyName, entryCount, treeHashes[entryCount])
	goSigned, err := note.Sign(&note.Note{Text: text}, goSigner)
	must(err)
	out["go_signed"] = map[string]string{"skey": goSkey, "vkey": goVkey, "checkpoint": string(goSigned)}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	must(enc.Encode(out))
}

// treeTiles returns the tiles of the tree of the given size. x/mod 0.7.0's NewTiles(h, 0, size) also lists
// every narrower partial tile a growing log would have published on the way (later x/mod versions
// list only the widest), so keep the widest tile of each (level, index): the tiles of this tree.
func treeTiles(size int64) []tlog.Tile {
	var tiles []tlog.Tile
	for _, t := range tlog.NewTiles(height, 0, size) {
		if k := len(tiles) - 1; k >= 0 && tiles[k].L == t.L && tiles[k].N == t.N {
			if t.W > tiles[k].W {
				tiles[k] = t
			}
			continue
		}
		tiles = append(tiles, t)
	}
	return tiles
}

// bundleEntry returns entry k of a tlog-tiles entry bundle (big-endian uint16 length prefixes).
func bundleEntry(bundle []byte, k int) []byte {
	for i := 0; ; i++ {
		if len(bundle) < 2 {
			must(errors.New("truncated entry bundle"))
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+n {
			must(errors.New("truncated entry bundle"))
		}
		if i == k {
			return bundle[2 : 2+n]
		}
		bundle = bundle[2+n:]
	}
}
