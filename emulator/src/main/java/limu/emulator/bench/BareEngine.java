// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import java.util.Optional;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.HostMemory;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.UnicornEngine;
import limu.emulator.unicorn.UnicornLibrary;

/**
 * One engine with 16 MiB of RAM, in long mode with minimal page tables, running
 * hand-assembled code at {@link #CODE}: the reference the benchmark measures
 * limu's machine against (no bootloader, no devices besides the hooks given).
 */
public final class BareEngine implements AutoCloseable {
    public static final long CODE = 0xffffffff80000000L;
    private static final long RAM = 16L << 20;

    private final HostMemory ram;
    private final UnicornEngine engine;

    public BareEngine(CpuHooks hooks, boolean countInstructions) {
        UnicornLibrary library = UnicornLibrary.load(Optional.empty());
        ram = new HostMemory(library, RAM);
        engine = new UnicornEngine(library, hooks, countInstructions);
        engine.mapRam(0, RAM, ram.address());
        ram.writeLong(0x1000 + 511 * 8, 0x2000 | 3);     // PML4[511] -> PDPT
        ram.writeLong(0x2000 + 510 * 8, 0x3000 | 3);     // PDPT[510] -> PD
        ram.writeLong(0x3000, 0x200000 | 0x83);          // 2 MiB page: CODE -> phys 0x200000
        ram.writeLong(0x3000 + 8, 0x600000 | 0x83);      // CODE + 2 MiB -> phys 0x600000 (stack)
        engine.write(Register.CR4, 0x20);
        engine.writeMsr(0xC0000080, 0xd00);
        engine.write(Register.CR3, 0x1000);
        engine.write(Register.CR0, 0x80010011L);
        engine.write(Register.RSP, CODE + 0x400000 - 8);
    }

    /** Places {@code code} at {@link #CODE} and points RIP at it. */
    public UnicornEngine load(byte[] code) {
        ram.write(0x200000, code, 0, code.length);
        engine.write(Register.RIP, CODE);
        return engine;
    }

    @Override
    public void close() {
        engine.close();
        ram.close();
    }
}
