// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.Slice;

/** Turns a guest crash into a one-line summary and a register dump a kernel developer can act on. */
final class CrashReport {
    private static final String[] EXCEPTIONS = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization", "#CP control protection"};

    private CrashReport() {
    }

    static String exceptionName(int vector) {
        return vector < EXCEPTIONS.length ? EXCEPTIONS[vector] + " (vector " + vector + ")"
                : String.format("interrupt 0x%x", vector);
    }

    static StopReason of(Vcpu cpu, Slice slice, Symbols symbols) {
        Engine e = cpu.engine;
        long rip = e.read(Register.RIP);
        String where = String.format("at 0x%016x%s", rip, symbols.at(rip));
        String summary = switch (slice.exit()) {
            case INTERRUPT -> {
                String s = String.format("CPU %d: unhandled %s %s", cpu.index, exceptionName(slice.vector()), where);
                if (slice.vector() == 14) {
                    s += String.format(", CR2=0x%016x", e.read(Register.CR2));
                }
                yield s;
            }
            case INVALID_OPCODE -> String.format("CPU %d: unhandled #UD invalid opcode %s", cpu.index, where);
            case UNMAPPED -> String.format("CPU %d: %s of %d bytes at physical 0x%x, where no RAM or device is, %s",
                    cpu.index, slice.access().name().toLowerCase(), slice.size(), slice.address(), where);
            default -> String.format("CPU %d: stopped (%s) %s", cpu.index, slice.exit(), where);
        };
        return new StopReason.GuestCrash(summary, inlined(rip, symbols) + registers(e));
    }

    /** Where the code at {@code rip} was inlined, as a report's first lines; "" when it is not inlined code. */
    private static String inlined(long rip, Symbols symbols) {
        String chain = symbols.inlinedInto(rip, "  ");
        return chain.isEmpty() ? "" : String.format("code at 0x%016x%s%n%s", rip, symbols.at(rip), chain);
    }

    /** The CPU shut down: the exception chain limu's IDT delivery recorded. */
    static StopReason tripleFault(limu.emulator.cpu.ExceptionChain chain, Symbols symbols) {
        StringBuilder inlined = new StringBuilder();
        for (limu.emulator.cpu.ExceptionChain.Link l : chain.links()) {
            String code = inlined(l.rip(), symbols);
            if (!code.isEmpty() && inlined.indexOf(code) < 0) {
                inlined.append(code);
            }
        }
        return new StopReason.TripleFault(chain.summary(symbols::at), inlined + chain.report(symbols::at));
    }

    static StopReason unexplainedStop(Vcpu cpu, Symbols symbols) {
        long rip = cpu.engine.read(Register.RIP);
        return new StopReason.GuestCrash(String.format("CPU %d: the engine stopped without a reason at 0x%016x%s"
                + " (Unicorn ends a triple fault this way)", cpu.index, rip, symbols.at(rip)),
                inlined(rip, symbols) + registers(cpu.engine));
    }

    static String registers(Engine e) {
        StringBuilder b = new StringBuilder();
        Register[] g = Register.GENERAL;
        for (int i = 0; i < g.length; i++) {
            b.append(String.format("%-3s=%016x", g[i], e.read(g[i])));
            b.append(i % 4 == 3 ? "\n" : " ");
        }
        b.append(String.format("RIP=%016x RFL=%08x CS=%04x SS=%04x DS=%04x ES=%04x FS=%04x GS=%04x%n",
                e.read(Register.RIP), e.read(Register.RFLAGS), e.read(Register.CS), e.read(Register.SS),
                e.read(Register.DS), e.read(Register.ES), e.read(Register.FS), e.read(Register.GS)));
        b.append(String.format("CR0=%016x CR2=%016x CR3=%016x CR4=%016x%n", e.read(Register.CR0),
                e.read(Register.CR2), e.read(Register.CR3), e.read(Register.CR4)));
        DescriptorTable gdt = e.readGdtr();
        DescriptorTable idt = e.readIdtr();
        b.append(String.format("EFER=%016x GDT=%016x/%x IDT=%016x/%x FS_BASE=%016x GS_BASE=%016x",
                e.readMsr(Vcpu.MSR_EFER), gdt.base(), gdt.limit(), idt.base(), idt.limit(),
                e.read(Register.FS_BASE), e.read(Register.GS_BASE)));
        return b.toString();
    }
}
