// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.heap;

/**
 * One allocation, live or freed: where and how big, which call on which CPU made it (with its backtrace),
 * the order of that call's entry and return among all allocator events (to tell a race from an overlap),
 * and, once freed, which call freed it.
 */
record Block(long ptr, long size, long align, int cpu, long call, long[] frames, long entrySeq, long returnSeq,
             int freeCpu, long freeCall, long[] freeFrames) {
    /** A block allocated by call {@code call} on {@code cpu}, not freed. */
    static Block allocated(long ptr, long size, long align, int cpu, long call, long[] frames, long entrySeq,
                           long returnSeq) {
        return new Block(ptr, size, align, cpu, call, frames, entrySeq, returnSeq, -1, 0, null);
    }

    /** One past the last byte; a zero-size block still occupies its address. */
    long end() {
        return ptr + Math.max(1, size);
    }

    Block freedBy(int cpu, long call, long[] frames) {
        return new Block(ptr, size, align, this.cpu, this.call, this.frames, entrySeq, returnSeq, cpu, call, frames);
    }
}
