// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * One kind of Limine request: its ID and how to answer it. Subclasses are
 * listed in {@link Requests}; adding a request means adding one subclass there.
 * <p>
 * Life of a found request: {@link #prepare} runs for every found request before
 * any memory is placed for the boot (requests that change the boot itself, such
 * as paging mode or stack size, record their wish in {@link BootSetup}); then
 * {@link #respond} runs in {@link Stage} order, and within a stage in registry
 * order.
 */
abstract class LimineRequest {
    /** When a request is answered. */
    enum Stage {
        /** With the bulk of the responses, before the stack and page tables are placed. */
        RESPONSES,
        /** After everything else, page tables included: only the memory map, which must describe itself. */
        MEMORY_MAP
    }

    private final String name;
    private final long id2;
    private final long id3;

    protected LimineRequest(String name, long id2, long id3) {
        this.name = name;
        this.id2 = id2;
        this.id3 = id3;
    }

    /** Human-readable name, e.g. {@code memory map}. */
    final String name() {
        return name;
    }

    final long id2() {
        return id2;
    }

    final long id3() {
        return id3;
    }

    /** Bytes of the request structure (ID, revision, response pointer, extras) for a request revision. */
    long size(long revision) {
        return Limine.REQUEST_EXTRAS;
    }

    Stage stage() {
        return Stage.RESPONSES;
    }

    /** Reads what the request asks of the boot itself. */
    void prepare(FoundRequest request, BootSetup setup) throws BootException {
    }

    /**
     * Builds the response in bootloader-reclaimable memory and returns its physical address, or empty to leave the
     * request's response pointer NULL.
     */
    abstract OptionalLong respond(FoundRequest request, BootContext context) throws BootException;

    /** Why {@link #respond} gave no response, for the boot plan's list of ignored requests. */
    String unansweredReason(BootContext context) {
        return "nothing to report";
    }
}
