// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/** Limine boot protocol constants (the protocol specification; summarised in docs/limine-notes.md). */
final class Limine {
    /** Highest base revision limu implements; kernels asking for more are loaded with this one. */
    static final int MAX_BASE_REVISION = 6;

    /** id[0], id[1] of every request. */
    static final long COMMON_MAGIC_0 = 0xc7b1dd30df4c8b88L;
    static final long COMMON_MAGIC_1 = 0x0a82e883a194f07bL;

    static final long[] REQUESTS_START_MARKER = {
        0xf6b8f4b39de7d1aeL, 0xfab91a6940fcb9cfL, 0x785c6ed015d3e316L, 0x181e920a7852b9d9L};
    static final long[] REQUESTS_END_MARKER = {0xadc0e0531bb10d03L, 0x9572709f31764c62L};

    /** Base revision tag: {@code {BASE_REVISION_0, BASE_REVISION_1, N}}. */
    static final long BASE_REVISION_0 = 0xf9562b2d5c95a6c8L;
    static final long BASE_REVISION_1 = 0x6a7b384944536bdcL;

    /** Limine's MAX_REQUESTS. */
    static final int MAX_REQUESTS = 128;

    /** Request layout: {@code u64 id[4]; u64 revision; u64 response; extras...}. */
    static final int REQUEST_REVISION = 32;
    static final int REQUEST_RESPONSE = 40;
    static final int REQUEST_EXTRAS = 48;

    /** HHDM base: the start of the higher half for the paging mode. */
    static final long HHDM_4_LEVEL = 0xffff_8000_0000_0000L;
    static final long HHDM_5_LEVEL = 0xff00_0000_0000_0000L;

    static final long DEFAULT_STACK_SIZE = 64 * 1024;

    private Limine() {
    }
}
