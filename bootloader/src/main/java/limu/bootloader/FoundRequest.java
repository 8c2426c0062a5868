// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * A request found in the loaded kernel image. Fields are read from the image as
 * loaded; the response pointer is written to {@link #physical()} + 40.
 */
final class FoundRequest {
    private final KernelImage image;
    private final long offset;

    FoundRequest(KernelImage image, long offset) {
        this.image = image;
        this.offset = offset;
    }

    KernelImage image() {
        return image;
    }

    long id2() {
        return u64(16);
    }

    long id3() {
        return u64(24);
    }

    long revision() {
        return u64(Limine.REQUEST_REVISION);
    }

    /** The request's address as the kernel sees it. */
    long virtual() {
        return image.virtualBase() + offset;
    }

    long physical() {
        return image.physical(virtual());
    }

    /** The qword at {@code fieldOffset} bytes into the request. */
    long u64(int fieldOffset) {
        return image.u64(offset + fieldOffset);
    }

    /** Whether {@code size} bytes of request lie inside the file-backed image, as Limine requires. */
    boolean fits(long size) {
        return offset + size <= image.sizeBeforeBss();
    }
}
