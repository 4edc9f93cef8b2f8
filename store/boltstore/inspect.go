package boltstore

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk format (go.etcd.io/bbolt/internal/common), in the host's
// byte order. Every page starts with a 16-byte header: id u64, flags u16,
// count u16, overflow u32. A meta page's body is magic u32, version u32,
// pageSize u32, flags u32, root bucket {root u64, sequence u64}, freelist
// u64, pgid u64 (the high-water mark), txid u64, checksum u64 — FNV-64a of
// the body up to the checksum. Branch elements are {pos u32, ksize u32,
// pgid u64}, leaf elements {flags u32, pos u32, ksize u32, vsize u32}; pos
// counts from the element itself. A bucket's value is {root u64, sequence
// u64}, followed by the bucket's whole page when root is 0 (inline bucket).
const (
	pageHeaderSize  = 16
	elementSize     = 16
	bucketHeader    = 16
	metaChecksumAt  = pageHeaderSize + 56
	metaEnd         = metaChecksumAt + 8
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	metaPageFlag    = 0x04
	freelistFlag    = 0x10
	bucketLeafFlag  = 0x01
	noFreelist      = ^uint64(0)
	maxTreeDepth    = 64
	minPageSize     = 1024
	maxPageSize     = 1 << 24
	freelistOverrun = 0xFFFF
)

var ne = binary.NativeEndian

type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseMeta reads the meta page in b, or says what is wrong with it.
func parseMeta(b []byte) (meta, string) {
	if len(b) < metaEnd {
		return meta{}, "cut short"
	}
	if ne.Uint16(b[8:]) != metaPageFlag {
		return meta{}, "not a meta page"
	}
	if ne.Uint32(b[16:]) != boltMagic {
		return meta{}, "not a bbolt file (bad magic number)"
	}
	if v := ne.Uint32(b[20:]); v != boltVersion {
		return meta{}, fmt.Sprintf("format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(b[pageHeaderSize:metaChecksumAt])
	if h.Sum64() != ne.Uint64(b[metaChecksumAt:]) {
		return meta{}, "checksum mismatch"
	}
	return meta{
		pageSize: ne.Uint32(b[24:]),
		root:     ne.Uint64(b[32:]),
		freelist: ne.Uint64(b[48:]),
		pgid:     ne.Uint64(b[56:]),
		txid:     ne.Uint64(b[64:]),
	}, ""
}

// readMeta reads and parses the meta page at offset at.
func readMeta(f io.ReaderAt, at int64) (meta, string) {
	b := make([]byte, metaEnd)
	if _, err := f.ReadAt(b, at); err != nil {
		return meta{}, fmt.Sprintf("cannot read: %v", err)
	}
	return parseMeta(b)
}

// inspect checks f's structure with plain reads, never through a memory
// map, bounds-checking every offset before it is followed: this is what
// makes it safe on a file bbolt would crash on. It checks the size, both
// meta pages, and every page of the newest meta's tree and its freelist.
func inspect(f io.ReaderAt, size int64, path string) *Report {
	r := &Report{Path: path, Size: size}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if size < 2*minPageSize {
		problem("the file is only %d bytes, too short for its two meta pages (truncated?)", size)
		return r
	}
	m0, bad0 := readMeta(f, 0)
	var m1 meta
	var bad1 string
	if bad0 == "" {
		if ps := int64(m0.pageSize); ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
			problem("meta page 0: page size %d is impossible", ps)
			return r
		}
		m1, bad1 = readMeta(f, int64(m0.pageSize))
	} else {
		// The page size is in the meta pages; find meta page 1 the way
		// bbolt does when meta page 0 is unreadable: try each page size.
		bad1 = "not found"
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size; ps *= 2 {
			if m, bad := readMeta(f, ps); bad == "" {
				m1, bad1 = m, ""
				break
			}
		}
		if bad1 != "" {
			_, bad1 = readMeta(f, int64(os.Getpagesize()))
		}
	}
	var newest meta
	switch {
	case bad0 == "" && bad1 == "":
		if m0.pageSize != m1.pageSize {
			problem("the meta pages disagree on the page size (%d and %d)", m0.pageSize, m1.pageSize)
			return r
		}
		newest = m0
		if m1.txid > m0.txid {
			newest = m1
		}
	case bad0 == "":
		newest = m0
		r.Warnings = append(r.Warnings, fmt.Sprintf("meta page 1: %s; the store is read through meta page 0 (transaction %d), and the next commit rewrites page 1", bad1, m0.txid))
	case bad1 == "":
		newest = m1
		r.Warnings = append(r.Warnings, fmt.Sprintf("meta page 0: %s; the store is read through meta page 1 (transaction %d), and the next commit rewrites page 0", bad0, m1.txid))
	default:
		problem("meta page 0: %s", bad0)
		problem("meta page 1: %s", bad1)
		r.NoMeta = true
		return r
	}
	ps := int64(newest.pageSize)
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		problem("page size %d is impossible", ps)
		return r
	}
	r.PageSize, r.Pages, r.TxID, r.Root = int(ps), newest.pgid, newest.txid, newest.root
	if size%ps != 0 {
		problem("the file size %d is not a multiple of the page size %d (truncated?)", size, ps)
	}
	filePages := uint64(size / ps)
	for i, m := range []meta{m0, m1} {
		if []string{bad0, bad1}[i] != "" {
			continue
		}
		switch {
		case m.pgid < 2 || m.pgid > filePages:
			problem("meta page %d: the store uses %d pages but the file holds %d (truncated?)", i, m.pgid, filePages)
		case m.root < 2 || m.root >= m.pgid:
			problem("meta page %d: root page %d is outside the store's %d pages", i, m.root, m.pgid)
		case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
			problem("meta page %d: freelist page %d is outside the store's %d pages", i, m.freelist, m.pgid)
		}
	}
	if len(r.Problems) > 0 {
		return r
	}
	w := &walker{f: f, ps: ps, hwm: newest.pgid, seen: make([]uint64, newest.pgid/64+1), report: r}
	if newest.freelist != noFreelist {
		w.freelist(newest.freelist)
	}
	w.tree(newest.root, 0)
	r.Visited = w.visited
	return r
}
