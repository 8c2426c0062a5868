// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.ArrayList;
import java.util.List;

/**
 * A small Limine kernel for tests: text (R-X) at 0xffffffff80000000 with the entry point, rodata (R--) at +0x1000,
 * data (RW-) at +0x2000 holding the request area and other data, then BSS. Words added to the request area or the
 * data area return their virtual addresses.
 */
final class TestKernel {
    static final long BASE = ElfBuilder.BASE;
    static final long TEXT = BASE;
    static final long RODATA = BASE + 0x1000;
    static final long DATA = BASE + 0x2000;
    static final long ENTRY = TEXT + 0x10;
    /** A read-only segment of arbitrary bytes (strings, structures the requests point at). */
    static final long BLOB = BASE + 0x10000;

    static final long[] START_MARKER = Limine.REQUESTS_START_MARKER;
    static final long[] END_MARKER = Limine.REQUESTS_END_MARKER;

    static final long[] BOOTLOADER_INFO = {0xf55038d8e2a1202fL, 0x279426fcf5f59740L};
    static final long[] EXECUTABLE_CMDLINE = {0x4b161536e598651eL, 0xb390ad4a2f1f303aL};
    static final long[] FIRMWARE_TYPE = {0x8c2f75d90bef28a8L, 0x7045a4688eac00c3L};
    static final long[] STACK_SIZE = {0x224ef0460a8e8926L, 0xe1cb0fc25f46ea3dL};
    static final long[] HHDM = {0x48dcf1cb8ad2b852L, 0x63984e959a98244bL};
    static final long[] PAGING_MODE = {0x95c1a0edab0944cbL, 0xa4e5cb3842f7488aL};
    static final long[] MEMMAP = {0x67cf3d9d378a806fL, 0xe304acdfc50c3c62L};
    static final long[] EXECUTABLE_ADDRESS = {0x71ba76863cc55f63L, 0xb2644a48c516a487L};
    static final long[] DATE_AT_BOOT = {0x502746e184c088aaL, 0xfbc5ec83e6327893L};
    static final long[] FRAMEBUFFER = {0x9d5827dcd881dd75L, 0xa3148604f6fab11bL};
    static final long[] MP = {0x95a67b819a1b857eL, 0xa0b61b723b6a73e0L};
    static final long[] ENTRY_POINT = {0x13d86c035a1cd3e1L, 0x2b0caa89d8f3026aL};
    static final long[] EXECUTABLE_FILE = {0xad97e90e83f1ed67L, 0x31eb5d1c5ff23b69L};
    static final long[] MODULE = {0x3e7e279702be32afL, 0xca1c4f3bd1280ceeL};
    static final long[] RSDP = {0xc5e77b6b397e7b43L, 0x27637845accdcf3cL};
    static final long[] SMBIOS = {0x9e9046f11e095391L, 0xaa4a520fefbde5eeL};
    static final long[] EFI_SYSTEM_TABLE = {0x5ceba5163eaaf6d6L, 0x0a6981610cf65fccL};
    static final long[] EFI_MEMMAP = {0x7df62a431d6872d5L, 0xa4fcdfb3e57306c8L};
    static final long[] DTB = {0xb40ddb48fb54bac7L, 0x545081493f81ffb7L};
    static final long[] BOOTLOADER_PERFORMANCE = {0x6b50ad9bf36d13adL, 0xdc4c7e88fc759e17L};
    static final long[] KEEP_IOMMU = {0x8ebaabe51f490179L, 0x2aa86a59ffb4ab0fL};

    private final List<Long> requestArea = new ArrayList<>();
    private final java.io.ByteArrayOutputStream blob = new java.io.ByteArrayOutputStream();
    private final List<Long> dataArea = new ArrayList<>();
    private boolean requestsSection;
    private long bss = 0x3000;
    private final byte[] text = new byte[0x100];
    private final byte[] rodata = new byte[0x40];

    TestKernel() {
        text[0x10] = (byte) 0xF4; // hlt
        for (int i = 0; i < rodata.length; i++) {
            rodata[i] = (byte) (i + 1);
        }
    }

    /** Put the request area in a {@code .requests} section. */
    TestKernel withRequestsSection() {
        requestsSection = true;
        return this;
    }

    TestKernel bss(long bytes) {
        this.bss = bytes;
        return this;
    }

    /** Appends words to the request area; returns the virtual address of the first. */
    long inRequests(long... words) {
        return DATA + append(requestArea, words);
    }

    /** Appends words to the data area (after the request area); returns the offset of the first (see dataAddress). */
    long inData(long... words) {
        return append(dataArea, words);
    }

    /** Appends {@code bytes} to the blob segment, 8-byte aligned; returns their virtual address. */
    long inBlob(byte[] bytes) {
        while (blob.size() % 8 != 0) {
            blob.write(0);
        }
        long at = BLOB + blob.size();
        blob.writeBytes(bytes);
        return at;
    }

    long cStringInBlob(String text) {
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return inBlob(java.util.Arrays.copyOf(utf8, utf8.length + 1));
    }

    long wordsInBlob(long... words) {
        byte[] b = new byte[8 * words.length];
        for (int i = 0; i < words.length; i++) {
            LittleEndian.putU64(b, 8 * i, words[i]);
        }
        return inBlob(b);
    }

    long baseRevision(long revision) {
        return inRequests(Limine.BASE_REVISION_0, Limine.BASE_REVISION_1, revision);
    }

    /** A request: id, revision, response (NULL), extras. */
    long request(long[] id, long revision, long... extras) {
        long[] words = new long[6 + extras.length];
        words[0] = Limine.COMMON_MAGIC_0;
        words[1] = Limine.COMMON_MAGIC_1;
        words[2] = id[0];
        words[3] = id[1];
        words[4] = revision;
        System.arraycopy(extras, 0, words, 6, extras.length);
        return inRequests(words);
    }

    long startMarker() {
        return inRequests(START_MARKER);
    }

    long endMarker() {
        return inRequests(END_MARKER);
    }

    private static long append(List<Long> area, long[] words) {
        long offset = 8L * area.size();
        for (long w : words) {
            area.add(w);
        }
        return offset;
    }

    long dataAddress(long offset) {
        return DATA + 8L * requestArea.size() + offset;
    }

    ElfBuilder builder() {
        byte[] data = new byte[8 * (requestArea.size() + dataArea.size())];
        int i = 0;
        for (long w : requestArea) {
            LittleEndian.putU64(data, 8 * i++, w);
        }
        for (long w : dataArea) {
            LittleEndian.putU64(data, 8 * i++, w);
        }
        ElfBuilder b = new ElfBuilder()
                .entry(ENTRY)
                .load(TEXT, "RX", text, text.length)
                .load(RODATA, "R", rodata, rodata.length)
                .load(DATA, "RW", data, data.length + bss)
                .func("_ZN6kernel5kmain17h0123456789abcdefE", ENTRY, 0x20);
        if (blob.size() > 0) {
            b.load(BLOB, "R", blob.toByteArray(), blob.size());
        }
        if (requestsSection && !requestArea.isEmpty()) {
            b.section(RequestScanner.REQUESTS_SECTION, DATA, 8L * requestArea.size());
        }
        return b;
    }

    byte[] build() {
        return builder().build();
    }
}
