// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import limu.emulator.heap.HeapOptions;

/**
 * How much {@link LimuMachine#heapCheck} checks, as {@code limu run --heap-check[=deep|strict]}; each
 * level includes the ones before it. A violation stops the run and fails it (exit code 18).
 */
public enum HeapCheck {
    /** Every allocator call: double and invalid frees, layouts, alignment, overlap, races, location, zeroing. */
    BASIC(HeapOptions.Mode.ON),
    /** Also talc 4.4.x's metadata, walked before every allocation. */
    DEEP(HeapOptions.Mode.DEEP),
    /** Also every guest access to the heap outside a live block: use after free, overflow, stray access. */
    STRICT(HeapOptions.Mode.STRICT);

    final HeapOptions.Mode mode;

    HeapCheck(HeapOptions.Mode mode) {
        this.mode = mode;
    }
}
