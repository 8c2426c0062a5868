// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.util.OptionalLong;

/**
 * MP (formerly SMP), x86-64: {@code request { ...; u64 flags; }} (bit 0: enable x2APIC if possible),
 * {@code response { u64 revision; u32 flags; u32 bsp_lapic_id; u64 cpu_count; limine_mp_info **cpus; }} (flags bit
 * 0: x2APIC enabled). One {@code limine_mp_info} per CPU, the BSP first, contiguous with a stride of 32 bytes
 * (docs/limine-notes.md, "Multiprocessor start"): {@code u32 processor_id} (ACPI UID), {@code u32 lapic_id}, {@code u64 reserved} (the top of the
 * AP's stack, an HHDM address, as Limine's trampoline keeps it), {@code goto_address} and {@code extra_argument},
 * both 0.
 * <p>
 * Its presence parks the APs: each gets its own stack of the Stack Size request's size in bootloader-reclaimable
 * memory, with a zero qword at its top (the return address the trampoline pushes), and waits for a write to its
 * {@code goto_address}; {@link LimineBoot} turns the parked APs into the plan's {@link ApStart}s. Without it the
 * APs stay in wait-for-SIPI state. CPU {@code i} has APIC ID and ACPI UID {@code i}, as in the MADT.
 */
final class MpRequest extends LimineRequest {
    static final long X2APIC = 1;
    static final int RESPONSE_SIZE = 32;
    static final int INFO_SIZE = 32;
    static final int INFO_RESERVED = 8;
    static final int INFO_GOTO_ADDRESS = 16;

    MpRequest() {
        super("MP", 0x95a67b819a1b857eL, 0xa0b61b723b6a73e0L);
    }

    @Override
    long size(long revision) {
        return Limine.REQUEST_EXTRAS + 8;
    }

    @Override
    OptionalLong respond(FoundRequest request, BootContext context) throws BootException {
        BootOptions cfg = context.machine();
        int cpus = cfg.cpus();
        boolean x2apic = (request.u64(Limine.REQUEST_EXTRAS) & X2APIC) != 0 && cfg.x2apic();
        long response = context.allocateResponse(RESPONSE_SIZE, "the MP response");
        long infos = context.allocate((long) INFO_SIZE * cpus, 16, "the MP CPU descriptions");
        long pointers = context.allocate(8L * cpus, 8, "the MP CPU list");
        for (int cpu = 0; cpu < cpus; cpu++) {
            long info = infos + (long) INFO_SIZE * cpu;
            context.writeU32(info, cpu);
            context.writeU32(info + 4, cpu);
            if (cpu != 0) {
                long stackTop = context.allocator().allocatePages(context.stackSize(), PhysicalAllocator.PAGE,
                        MemoryType.BOOTLOADER_RECLAIMABLE, "the stack of CPU " + cpu) + context.stackSize();
                context.writeU64(stackTop - 8, 0);
                context.writeU64(info + INFO_RESERVED, context.hhdm(stackTop));
                context.parkedAps().add(new BootContext.ParkedAp(cpu, cpu, info, stackTop));
            }
            context.writeU64(pointers + 8L * cpu, context.hhdm(info));
        }
        context.x2apicEnabled(x2apic);
        context.writeU32(response + 8, x2apic ? X2APIC : 0);
        context.writeU32(response + 12, 0); // the BSP is CPU 0, LAPIC ID 0
        context.writeU64(response + 16, cpus);
        context.writeU64(response + 24, context.hhdm(pointers));
        return OptionalLong.of(response);
    }
}
