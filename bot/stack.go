package bot

// handlerFrame makes growStack give a handler a 16 KiB stack: enough for
// decoding the payload, rendering the ack and waiting for the declaration's
// commit, as profiles of 200 declarations at once show (no further growth).
// A larger stack comes from the heap, not the per-thread stack cache, and
// cost more to hand out than the growth it saved.
const handlerFrame = 8 << 10

// growStack grows the calling goroutine's stack to fit a frame of
// handlerFrame bytes. A goroutine starts on a small stack that the runtime
// doubles, copying it, each time a call needs more; an envelope's handler
// grew its stack two or three times, each copy walking every frame above
// it: 8 % of the CPU of 200 declarations acked at once. Grown here, while
// the stack is nearly empty, it is one cheap copy.
//
//go:noinline
func growStack(i int) byte {
	var buf [handlerFrame]byte
	buf[i%handlerFrame] = 1
	return buf[(i+1)%handlerFrame]
}
