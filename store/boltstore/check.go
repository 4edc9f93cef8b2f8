package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged is wrapped by Open and Check when the store file is damaged.
var ErrDamaged = errors.New("damaged")

// DamageError says what is wrong with a store file.
type DamageError struct {
	Path     string
	Problems []string
	// NoMeta: neither meta page is valid, so this may not be a store at
	// all (a wrong path) rather than a damaged one.
	NoMeta bool
}

func (e *DamageError) Error() string {
	if e.NoMeta {
		return fmt.Sprintf("store %s is not an incidentbot store, or both its meta pages are damaged (%s)", e.Path, e.Problems[0])
	}
	more := ""
	if n := len(e.Problems) - 1; n > 0 {
		more = fmt.Sprintf(", and %d more", n)
	}
	return fmt.Sprintf("store %s is damaged (%s%s)", e.Path, e.Problems[0], more)
}

func (e *DamageError) Unwrap() error { return ErrDamaged }

// Report is what Check found.
type Report struct {
	Path     string
	Size     int64  // bytes
	PageSize int    // bytes, from the meta pages
	Pages    uint64 // pages in use (the high-water mark)
	TxID     uint64 // the last committed transaction
	Root     uint64 // the root page of the last transaction
	Visited  int    // pages of the tree and freelist read and checked
	Problems []string
	// Warnings are damage bbolt survives by design: one meta page torn or
	// scribbled while the other is sound. bbolt then reads the sound one
	// (at worst losing the last transaction) and rewrites the other on the
	// next commit. Refusing to start over it would turn a power cut during
	// a commit into an outage of the incident bot, when it is needed most.
	Warnings []string
	NoMeta   bool // neither meta page is valid
}

// Err is the report as an error: nil when no problem was found.
func (r *Report) Err() error {
	if r == nil || len(r.Problems) == 0 {
		return nil
	}
	return &DamageError{Path: r.Path, Problems: r.Problems, NoMeta: r.NoMeta}
}

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

// String is the report for people: what was checked, then each problem.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s: %d bytes", r.Path, r.Size)
	if r.PageSize > 0 {
		fmt.Fprintf(&b, ", %d pages of %d bytes in use, last transaction %d, %d pages checked", r.Pages, r.PageSize, r.TxID, r.Visited)
	}
	b.WriteString("\n")
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if len(r.Problems) == 0 {
		b.WriteString("no problems found\n")
		return b.String()
	}
	fmt.Fprintf(&b, "DAMAGED: %d problem(s):\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	return b.String()
}

// Check examines the store file at path without changing it: the checks
// Open makes before mapping the file and, when those pass, bbolt's own
// consistency check (every page reachable exactly once, keys in order, the
// freelist sound). A damaged file is a Report with Problems, not an error;
// the error is for a file that cannot be checked: missing, unreadable, or
// open in a running incidentbot (ErrLocked) — waiting at most timeout.
func Check(path string, timeout time.Duration) (*Report, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("check store %s: %w", path, err)
	}
	rep, err := checkFile(path, timeout)
	if err != nil || rep == nil {
		// rep is nil for an empty file, which Open initialises.
		return &Report{Path: path}, err
	}
	if len(rep.Problems) > 0 {
		return rep, nil
	}
	if len(rep.Warnings) > 0 {
		// bbolt's check asserts that both meta pages are sound, and its
		// assertion panics on a goroutine of its own: it would crash.
		rep.Warnings = append(rep.Warnings, "bbolt's own consistency check was skipped: it needs both meta pages; run check again after the bot's next commits")
		return rep, nil
	}
	// bbolt's check runs on a goroutine of its own, out of guard's reach:
	// it is safe only because inspect found every page in bounds.
	err = guard(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if err != nil {
			return openError(path, err)
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				if len(rep.Problems) < 20 {
					rep.Problems = append(rep.Problems, err.Error())
				}
			}
			return nil
		})
	})
	var derr *DamageError
	if errors.As(err, &derr) {
		rep.Problems = append(rep.Problems, derr.Problems...)
		return rep, nil
	}
	return rep, err
}

// checkFile inspects the file at path under a shared lock, so that a file
// another process is writing is reported as in use, not as damaged. A
// missing or empty file is fine: bbolt creates it. The returned report is
// nil then.
func checkFile(path string, timeout time.Duration) (*Report, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	if err := lockShared(f, timeout); err != nil {
		return nil, openError(path, err)
	}
	defer unlock(f)
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, nil
	}
	return inspect(f, st.Size(), path), nil
}

// guard runs fn, which reads the file through bbolt's memory map, turning
// a memory fault into a DamageError. bbolt trusts the file: a page past the
// end of a truncated file is a SIGBUS, a scribbled offset a SIGSEGV, and
// both are fatal signals that recover() alone cannot catch and that print
// every goroutine's stack. SetPanicOnFault makes them a panic on this
// goroutine instead. It is the second line of defence, behind inspect's
// bounds-checked walk: it covers only this goroutine, and the process must
// not go on using a store that faulted (its map and lock stay behind).
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamageError{Path: path, Problems: []string{fmt.Sprintf("reading it failed: %v", r)}}
		}
	}()
	return fn()
}
