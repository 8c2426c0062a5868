// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.util.List;
import limu.bootloader.CpuEntryState;
import limu.bootloader.ElfFile;
import limu.emulator.cpu.CpuCore;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;

/** One virtual CPU: its engine and what the run loop knows about it. */
final class Vcpu {
    static final int MSR_EFER = 0xC0000080;
    static final int MSR_PAT = 0x277;

    /** Where a CPU is in its life. */
    enum State {
        /** An AP parked by the bootloader, waiting for its goto_address. */
        PARKED,
        RUNNING,
        /** Executed HLT; only an interrupt wakes it. */
        HALTED,
        /** An AP after INIT (or never started by the bootloader): only a start-up IPI starts it. */
        WAIT_FOR_SIPI
    }

    final int index;
    final Engine engine;
    /** What Unicorn leaves to limu: exceptions and interrupts through the IDT, SYSCALL, CPUID, RDTSC, MSRs. */
    final CpuCore core;
    State state;

    Vcpu(int index, Engine engine, State state, CpuCore core) {
        this.index = index;
        this.engine = engine;
        this.state = state;
        this.core = core;
        core.attach(engine);
    }

    /**
     * Hooks the RDMSR/WRMSR instructions of the kernel's executable segments on
     * every CPU that does not scan the code it fetches itself (Unicorn's own MMU),
     * before any code runs: Unicorn never calls a hook added after
     * the code was translated (docs/unicorn-notes.md). The code is read
     * through the BSP, which must have entered (CR3 set); APs get the same
     * addresses.
     */
    static void interceptMsrs(List<Vcpu> cpus, ElfFile kernel) {
        Vcpu bsp = cpus.get(0);
        for (ElfFile.Segment s : kernel.segments()) {
            if (s.isLoad() && s.executable() && s.fileSize() > 0 && s.fileSize() < Integer.MAX_VALUE) {
                byte[] code = new byte[(int) s.fileSize()];
                if (bsp.engine.readVirtual(s.vaddr(), code)) {
                    for (Vcpu cpu : cpus) {
                        if (!cpu.engine.scansFetchedCode()) {
                            cpu.core.interceptMsrs(s.vaddr(), code);
                        }
                    }
                }
            }
        }
    }

    /**
     * Puts the CPU in the state the boot plan says. Order matters: paging and
     * the GDT must be valid before any selector is written, because Unicorn
     * loads the descriptor through the guest page tables (docs/unicorn-notes.md).
     */
    void enter(CpuEntryState s) {
        CpuEntryState.ControlRegisters control = s.control();
        engine.write(Register.CR4, control.cr4());
        engine.writeMsr(MSR_EFER, control.efer());
        engine.write(Register.CR3, control.cr3());
        engine.write(Register.CR0, control.cr0());
        engine.writeMsr(MSR_PAT, control.pat());
        engine.writeGdtr(new DescriptorTable(s.gdtr().base(), s.gdtr().limit()));
        engine.writeIdtr(new DescriptorTable(s.idtr().base(), s.idtr().limit()));
        CpuEntryState.Segments segments = s.segments();
        engine.write(Register.CS, segments.cs());
        engine.write(Register.SS, segments.ss());
        engine.write(Register.DS, segments.ds());
        engine.write(Register.ES, segments.es());
        engine.write(Register.FS, segments.fs());
        engine.write(Register.GS, segments.gs());
        engine.write(Register.FS_BASE, segments.fsBase());
        engine.write(Register.GS_BASE, segments.gsBase());
        for (Register r : Register.GENERAL) {
            engine.write(r, 0);
        }
        engine.write(Register.CR2, 0);
        engine.write(Register.CR8, 0);
        engine.write(Register.RSP, s.rsp());
        engine.write(Register.RDI, s.rdi());
        engine.write(Register.RFLAGS, s.rflags());
        engine.write(Register.RIP, s.rip());
    }

    /** True when the instruction just before RIP is HLT (how Unicorn returns from one). */
    boolean stoppedOnHlt() {
        byte[] b = new byte[1];
        long rip = engine.read(Register.RIP);
        if ((engine.read(Register.CR0) & 1) == 0) {
            rip += (engine.read(Register.CS) & 0xffff) << 4;   // real mode (after a SIPI): RIP is IP, add the CS base
        }
        return engine.readVirtual(rip - 1, b) && (b[0] & 0xff) == 0xF4;
    }

    boolean interruptsEnabled() {
        return (engine.read(Register.RFLAGS) & (1 << 9)) != 0;
    }
}
