// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static limu.bootloader.LittleEndian.hex;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the base revision tag and the requests in the loaded kernel image
 * (docs/limine-notes.md; Limine's {@code limine_load}).
 * <ul>
 * <li>Base revision tag: anywhere in the image, 8-byte steps from the image base up to
 * the end of file-backed data; a second tag is an error (Limine panics).</li>
 * <li>Requests: if the ELF has an allocated, file-backed {@code .requests} section (the
 * limine-rs convention) only that section is scanned for the common magic; otherwise
 * the whole image is, as Limine does: a start marker resets the list (so the last start
 * marker wins) and the first end marker stops the scan.</li>
 * </ul>
 * Like Limine, a request is only considered while all 32 bytes of its ID fit before the
 * end of file-backed data; at most 128 requests; a repeated ID is an error.
 */
final class RequestScanner {
    static final String REQUESTS_SECTION = ".requests";
    private static final long SHF_ALLOC = 2;
    private static final int ID_SIZE = 32;
    private static final int TAG_SIZE = 24;

    /** The tag at image offset {@code offset} asking for revision {@code revision} (an unsigned u64). */
    record BaseRevisionTag(long offset, long revision) {
    }

    private interface Step {
        /** Returns false to stop the scan. */
        boolean visit(long offset) throws BootException;
    }

    private RequestScanner() {
    }

    static Optional<BaseRevisionTag> baseRevisionTag(KernelImage image) throws BootException {
        List<BaseRevisionTag> found = new ArrayList<>();
        forEachStep(image, TAG_SIZE, offset -> {
            if (image.u64(offset) == Limine.BASE_REVISION_0 && image.u64(offset + 8) == Limine.BASE_REVISION_1) {
                found.add(new BaseRevisionTag(offset, image.u64(offset + 16)));
                if (found.size() > 1) {
                    throw new BootException(image.elf().name() + ": duplicate base revision tag at "
                            + hex(image.virtualBase() + found.get(0).offset()) + " and "
                            + hex(image.virtualBase() + offset));
                }
            }
            return true;
        });
        return found.stream().findFirst();
    }

    static List<FoundRequest> requests(KernelImage image) throws BootException {
        List<FoundRequest> found = new ArrayList<>();
        Optional<ElfFile.Section> section = requestsSection(image);
        if (section.isPresent()) {
            long start = (section.get().addr() - image.virtualBase() + 7) & -8L;
            long end = section.get().addr() + section.get().size() - image.virtualBase();
            for (long offset = start; offset + ID_SIZE <= end && offset + ID_SIZE <= image.sizeBeforeBss();
                 offset += 8) {
                if (isRequest(image, offset)) {
                    add(image, found, offset);
                }
            }
            return found;
        }
        forEachStep(image, ID_SIZE, offset -> {
            if (matches(image, offset, Limine.REQUESTS_START_MARKER)) {
                found.clear();
                return true;
            }
            if (matches(image, offset, Limine.REQUESTS_END_MARKER)) {
                return false;
            }
            if (isRequest(image, offset)) {
                add(image, found, offset);
            }
            return true;
        });
        return found;
    }

    /** The {@code .requests} section if it is allocated, file-backed and inside the file-backed image. */
    private static Optional<ElfFile.Section> requestsSection(KernelImage image) {
        return image.elf().section(REQUESTS_SECTION).filter(s -> (s.flags() & SHF_ALLOC) != 0
                && s.type() != ElfFile.SHT_NOBITS
                && Long.compareUnsigned(s.addr(), image.virtualBase()) >= 0
                && Long.compareUnsigned(s.size(), image.sizeBeforeBss()) <= 0
                && Long.compareUnsigned(s.addr() - image.virtualBase(), image.sizeBeforeBss() - s.size()) <= 0);
    }

    private static boolean isRequest(KernelImage image, long offset) {
        return image.u64(offset) == Limine.COMMON_MAGIC_0 && image.u64(offset + 8) == Limine.COMMON_MAGIC_1;
    }

    private static boolean matches(KernelImage image, long offset, long[] pattern) {
        for (int i = 0; i < pattern.length; i++) {
            if (image.u64(offset + 8L * i) != pattern[i]) {
                return false;
            }
        }
        return true;
    }

    private static void add(KernelImage image, List<FoundRequest> found, long offset) throws BootException {
        FoundRequest request = new FoundRequest(image, offset);
        for (FoundRequest other : found) {
            if (other.id2() == request.id2() && other.id3() == request.id3()) {
                throw new BootException(image.elf().name() + ": duplicate Limine request "
                        + Requests.describe(request.id2(), request.id3()) + " (id " + hex(request.id2()) + ", "
                        + hex(request.id3()) + ") at " + hex(other.virtual()) + " and " + hex(request.virtual())
                        + " (Limine refuses to boot this)");
            }
        }
        if (found.size() == Limine.MAX_REQUESTS) {
            throw new BootException(image.elf().name() + ": more than " + Limine.MAX_REQUESTS
                    + " Limine requests (Limine's limit)");
        }
        found.add(request);
    }

    /**
     * Visits, in increasing order and once each, every 8-byte step of the image (relative to its base) whose first
     * qword touches file data and whose {@code window} bytes end within the file-backed image: Limine's
     * {@code for (i = 0; i + 32 <= image_size_before_bss; i += 8)} with the all-zero stretches skipped (no pattern
     * starts with a zero qword). The tag scan uses the tag's own 24 bytes as the window, so a tag that ends the
     * file-backed data is still found.
     */
    private static void forEachStep(KernelImage image, int window, Step step) throws BootException {
        long next = 0;
        for (long[] range : image.fileBackedSteps()) {
            for (long offset = Math.max(range[0], next); offset < range[1]; offset += 8) {
                if (offset + window > image.sizeBeforeBss()) {
                    return;
                }
                if (!step.visit(offset)) {
                    return;
                }
                next = offset + 8;
            }
        }
    }
}
