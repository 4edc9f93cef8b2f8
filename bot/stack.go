package bot

// handlerFrame makes growStack give a handler an 8 KiB stack. A one-line
// declaration's handler reaches ~6.9 KiB below the top of its stack
// (decoding, the duplicate check, the commit wait, rendering the ack with
// text/template, whose evaluation through reflect is the deepest point),
// measured by clearing the stack before the handler and finding the lowest
// word written after it: ~300 bytes above the guard at which the runtime
// grows a stack. It needed 11.2 KiB, hence 16 KiB stacks, while route held
// a decoded interaction (~4 KiB) and a decoded slash command (twice, ~720
// bytes) in its frame and declaredText a ~1 KiB view; all three now live
// outside the handler's deepest path. A handler that goes deeper still
// grows as before, once more; keep big values out of the frames on a
// declaration's path (slash's is already 1.2 KiB).
//
// Half the stack is half the memory 200 concurrent handlers take and touch:
// in a process's first burst that memory is fresh, each page faulted in
// (the stack pool writes a link at the bottom of each stack, and this
// frame's zeroing touches the rest).
const handlerFrame = 4 << 10

// growStack grows the calling goroutine's stack to fit a frame of
// handlerFrame bytes. A goroutine starts on a small stack that the runtime
// doubles, copying it, each time a call needs more; an envelope's handler
// grew its stack two or three times, each copy walking every frame above
// it: 8 % of the CPU of 200 declarations acked at once. Grown here, while
// the stack is nearly empty, it is one cheap copy; and a handler goroutine
// keeps its stack for the envelopes after its first (sockethandlers.go).
//
//go:noinline
func growStack(i int) byte {
	var buf [handlerFrame]byte
	buf[i%handlerFrame] = 1
	return buf[(i+1)%handlerFrame]
}
