// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.List;
import java.util.OptionalLong;

/**
 * Memory Map: {@code response { u64 revision; u64 entry_count; limine_memmap_entry **entries; }}, each entry
 * {@code { u64 base; u64 length; u64 type; }}. Answered last, so the map describes everything placed for the boot,
 * its own storage included.
 */
final class MemoryMapRequest extends LimineRequest {
    static final int ENTRY_SIZE = 24;
    /** Spare slots: placing the map's own storage can split a usable region. */
    private static final int SLACK = 8;

    MemoryMapRequest() {
        super("memory map", 0x67cf3d9d378a806fL, 0xe304acdfc50c3c62L);
    }

    @Override
    Stage stage() {
        return Stage.MEMORY_MAP;
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        int capacity = context.memoryMap().size() + SLACK;
        long response = context.allocateResponse(24, "the memory map response");
        long entries = context.allocate((long) ENTRY_SIZE * capacity, 8, "the memory map entries");
        long pointers = context.allocate(8L * capacity, 8, "the memory map entry pointers");
        List<MemoryMapEntry> map = context.memoryMap();
        if (map.size() > capacity) {
            throw new IllegalStateException("memory map grew to " + map.size() + " entries while placing it");
        }
        byte[] entryBytes = new byte[ENTRY_SIZE * map.size()];
        byte[] pointerBytes = new byte[8 * map.size()];
        for (int i = 0; i < map.size(); i++) {
            MemoryMapEntry e = map.get(i);
            LittleEndian.putU64(entryBytes, ENTRY_SIZE * i, e.base());
            LittleEndian.putU64(entryBytes, ENTRY_SIZE * i + 8, e.length());
            LittleEndian.putU64(entryBytes, ENTRY_SIZE * i + 16, e.type().value());
            LittleEndian.putU64(pointerBytes, 8 * i, context.hhdm(entries + (long) ENTRY_SIZE * i));
        }
        context.write(entries, entryBytes);
        context.write(pointers, pointerBytes);
        context.writeU64(response + 8, map.size());
        context.writeU64(response + 16, context.hhdm(pointers));
        return OptionalLong.of(response);
    }
}
