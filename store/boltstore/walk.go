package boltstore

import (
	"fmt"
	"io"
)

// walker reads pages below the high-water mark, at most once each. A
// large store has tens of thousands of pages, so it keeps one buffer per
// tree level instead of allocating per page (start-up time).
type walker struct {
	f       io.ReaderAt
	ps      int64
	hwm     uint64
	seen    []uint64 // bit set of page ids read
	visited int
	bufs    [][]byte // by depth: a page's parent is still in use below it
	report  *Report
}

func (w *walker) problem(format string, args ...any) {
	// A scribbled page can yield thousands of problems; the first few say
	// enough, and the report must stay readable.
	if len(w.report.Problems) < 20 {
		w.report.Problems = append(w.report.Problems, fmt.Sprintf(format, args...))
	}
}

func (w *walker) isSeen(id uint64) bool { return w.seen[id/64]&(1<<(id%64)) != 0 }

// buf returns the buffer of depth, at least n bytes long.
func (w *walker) buf(depth int, n int64) []byte {
	for len(w.bufs) <= depth {
		w.bufs = append(w.bufs, nil)
	}
	if int64(cap(w.bufs[depth])) < n {
		w.bufs[depth] = make([]byte, n)
	}
	return w.bufs[depth][:n]
}

// page reads page id with its overflow pages into the buffer of depth, or
// reports why it cannot.
func (w *walker) page(id uint64, from string, depth int) []byte {
	if id < 2 || id >= w.hwm {
		w.problem("page %d (%s) is outside the store's %d pages", id, from, w.hwm)
		return nil
	}
	if w.isSeen(id) {
		w.problem("page %d (%s) is used twice", id, from)
		return nil
	}
	b := w.buf(depth, w.ps)
	if _, err := w.f.ReadAt(b, int64(id)*w.ps); err != nil {
		w.problem("page %d (%s): cannot read: %v", id, from, err)
		return nil
	}
	if got := ne.Uint64(b); got != id {
		w.problem("page %d (%s) is marked as page %d", id, from, got)
		return nil
	}
	overflow := uint64(ne.Uint32(b[12:]))
	if overflow >= w.hwm-id {
		w.problem("page %d (%s) overflows past the store's %d pages", id, from, w.hwm)
		return nil
	}
	for i := uint64(0); i <= overflow; i++ {
		if w.isSeen(id + i) {
			w.problem("page %d (%s) overlaps page %d", id, from, id+i)
			return nil
		}
		w.seen[(id+i)/64] |= 1 << ((id + i) % 64)
		w.visited++
	}
	if overflow == 0 {
		return b
	}
	first := append([]byte(nil), b...)
	b = w.buf(depth, int64(overflow+1)*w.ps)
	copy(b, first)
	if _, err := w.f.ReadAt(b[w.ps:], int64(id+1)*w.ps); err != nil {
		w.problem("page %d (%s): cannot read: %v", id, from, err)
		return nil
	}
	return b
}

func (w *walker) freelist(id uint64) {
	b := w.page(id, "freelist", 0)
	if b == nil {
		return
	}
	if flags := ne.Uint16(b[8:]); flags != freelistFlag {
		w.problem("page %d should be the freelist but has type %#x", id, flags)
		return
	}
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(b[10:]))
	if count == freelistOverrun {
		count = ne.Uint64(b[pageHeaderSize:])
		start += 8
	}
	if count > (uint64(len(b))-start)/8 {
		w.problem("freelist page %d lists %d pages, more than it holds", id, count)
		return
	}
	for i := uint64(0); i < count; i++ {
		if free := ne.Uint64(b[start+8*i:]); free < 2 || free >= w.hwm {
			w.problem("freelist page %d lists page %d, outside the store's %d pages", id, free, w.hwm)
			return
		}
	}
}

// tree checks the page id of a bucket and, through it, every nested bucket.
func (w *walker) tree(id uint64, depth int) {
	if depth > maxTreeDepth {
		w.problem("the tree is more than %d levels deep at page %d (a cycle?)", maxTreeDepth, id)
		return
	}
	b := w.page(id, "tree", depth)
	if b == nil {
		return
	}
	w.node(b, id, depth)
}

// node checks one branch or leaf page held in b (a whole page, or an
// inline bucket's value) and descends into what it points at.
func (w *walker) node(b []byte, id uint64, depth int) {
	flags, count := ne.Uint16(b[8:]), int(ne.Uint16(b[10:]))
	if flags != branchPageFlag && flags != leafPageFlag {
		w.problem("page %d has type %#x where a branch or leaf page belongs", id, flags)
		return
	}
	if count == 0 && flags == branchPageFlag {
		w.problem("branch page %d is empty", id)
		return
	}
	if pageHeaderSize+count*elementSize > len(b) {
		w.problem("page %d claims %d elements, more than it holds", id, count)
		return
	}
	for i := range count {
		at := pageHeaderSize + i*elementSize
		e := b[at : at+elementSize]
		if flags == branchPageFlag {
			pos, ksize := int(ne.Uint32(e[0:])), int(ne.Uint32(e[4:]))
			if !within(at, pos, ksize, len(b)) {
				w.problem("branch page %d: key %d lies outside the page", id, i)
				return
			}
			w.tree(ne.Uint64(e[8:]), depth+1)
			continue
		}
		eflags, pos, ksize, vsize := ne.Uint32(e[0:]), int(ne.Uint32(e[4:])), int(ne.Uint32(e[8:])), int(ne.Uint32(e[12:]))
		if !within(at, pos, ksize+vsize, len(b)) || ksize < 0 || vsize < 0 {
			w.problem("leaf page %d: element %d lies outside the page", id, i)
			return
		}
		if eflags&bucketLeafFlag == 0 {
			continue
		}
		v := b[at+pos+ksize : at+pos+ksize+vsize]
		if len(v) < bucketHeader {
			w.problem("leaf page %d: bucket %d has a %d-byte header, want %d", id, i, len(v), bucketHeader)
			return
		}
		if root := ne.Uint64(v); root != 0 {
			w.tree(root, depth+1)
			continue
		}
		inline := v[bucketHeader:]
		if len(inline) < pageHeaderSize {
			w.problem("leaf page %d: inline bucket %d is cut short", id, i)
			return
		}
		if depth+1 > maxTreeDepth {
			w.problem("the tree is more than %d levels deep at page %d", maxTreeDepth, id)
			return
		}
		w.node(inline, id, depth+1)
	}
}

// within reports whether n bytes at pos from offset at fit in size bytes.
func within(at, pos, n, size int) bool {
	return pos >= 0 && n >= 0 && at+pos >= 0 && at+pos <= size && n <= size-(at+pos)
}
