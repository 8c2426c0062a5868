// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.Segment;
import limu.emulator.unicorn.SystemSegment;

/**
 * Delivers exceptions and interrupts through the guest's IDT the way an
 * x86_64 CPU in IA-32e mode does (Intel SDM vol. 3, 6.12-6.15), because
 * Unicorn only reports them to a hook: gate lookup and checks, target code
 * segment checks, stack switch (TSS RSP0-2 on a privilege change, IST), the
 * frame, RFLAGS, and escalation to #DF and to shutdown (table 6-5).
 *
 * <p>Every guest memory access made here is an implicit supervisor access
 * through the guest's page tables ({@link PageWalker}); a fault there is a
 * fault during delivery and escalates exactly as on hardware.
 */
public final class IdtDelivery {
    /** How the event arose: it decides the DPL check, the EXT bit and whether an error code is pushed. */
    public enum Kind {
        /** INT n, INT3, INTO: gate DPL checked against CPL, no error code, EXT = 0. */
        SOFTWARE,
        /** An exception the CPU raised: error code for the vectors that have one, EXT = 1 on nested faults. */
        EXCEPTION,
        /** An interrupt from a device (or NMI): no DPL check, no error code, EXT = 1. */
        EXTERNAL
    }

    private static final long TF = 1 << 8, IF = 1 << 9, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17;

    private final int cpu;
    private final Engine engine;
    private final Function<Engine, String> registerDump;
    private ExceptionChain shutdown;
    private long delivered;

    public IdtDelivery(int cpu, Engine engine, Function<Engine, String> registerDump) {
        this.cpu = cpu;
        this.engine = engine;
        this.registerDump = registerDump;
    }

    /** The triple fault that stopped this CPU, if any. */
    public ExceptionChain shutdown() {
        return shutdown;
    }

    /** The triple fault (or null) and the count of delivered events, for snapshots. */
    public record State(ExceptionChain shutdown, long delivered) {
    }

    public State state() {
        return new State(shutdown, delivered);
    }

    public void restore(State s) {
        shutdown = s.shutdown();
        delivered = s.delivered();
    }

    /** Events delivered so far. */
    public long delivered() {
        return delivered;
    }

    /**
     * Delivers {@code vector} with RIP as the return address (the faulting
     * instruction for a fault, the next one for a trap or INT n). Returns false
     * when it ends in a triple fault; {@link #shutdown()} then says why and
     * the CPU state is still the one at the first exception.
     */
    public boolean deliver(int vector, int errorCode, Kind kind) {
        long rip = engine.read(Register.RIP);
        int current = vector;
        int code = errorCode;
        Kind k = kind;
        List<ExceptionChain.Link> links = new ArrayList<>();
        long cr2 = vector == Vectors.PF ? engine.read(Register.CR2) : -1;
        while (true) {
            try {
                enter(current, code, k, rip);
                delivered++;
                return true;
            } catch (GuestFault f) {
                boolean pushes = k == Kind.EXCEPTION && Vectors.hasErrorCode(current);
                links.add(new ExceptionChain.Link(current, pushes ? code : -1, rip, cr2, f.getMessage()));
                int next = Vectors.combine(current, f.vector);
                if (f.vector == Vectors.PF) {
                    engine.write(Register.CR2, f.cr2);   // CR2 is loaded even when the #PF becomes #DF
                }
                if (next < 0) {
                    links.add(new ExceptionChain.Link(f.vector, f.errorCode, rip, f.vector == Vectors.PF ? f.cr2 : -1,
                            "raised while delivering " + Vectors.mnemonic(current) + ": the CPU shuts down"));
                    engine.exceptionHandled();
                    shutdown = new ExceptionChain(cpu, List.copyOf(links), registerDump.apply(engine));
                    return false;
                }
                if (next == Vectors.DF) {
                    links.add(new ExceptionChain.Link(f.vector, f.errorCode, rip, f.vector == Vectors.PF ? f.cr2 : -1,
                            "raised while delivering " + Vectors.mnemonic(current) + ": becomes #DF"));
                    code = 0;
                    cr2 = -1;
                } else {
                    code = f.errorCode;
                    cr2 = f.vector == Vectors.PF ? f.cr2 : -1;
                }
                if (k == Kind.SOFTWARE) {
                    rip = softwareInterruptAddress(current, rip);   // a fault reports the INT instruction itself
                }
                current = next;
                k = Kind.EXCEPTION;
            }
        }
    }

    /**
     * Unicorn reports INT n/INT3/INTO with RIP after the instruction; a fault
     * raised while delivering it points at the instruction: CC (INT3), CE
     * (INTO), F1 (INT1) are one byte, CD ib two.
     */
    private long softwareInterruptAddress(int vector, long next) {
        byte[] b = new byte[2];
        if (engine.readVirtual(next - 2, b) && (b[0] & 0xff) == 0xcd && (b[1] & 0xff) == vector) {
            return next - 2;
        }
        return next - 1;
    }

    /** One attempt: either the CPU is at the handler afterwards, or a GuestFault says what went wrong. */
    private void enter(int vector, int errorCode, Kind kind, long rip) {
        int ext = kind == Kind.SOFTWARE ? 0 : 1;
        int gateError = vector * 8 + 2 + ext;
        PageWalker mem = new PageWalker(engine);
        DescriptorTable idt = engine.readIdtr();
        if ((long) vector * 16 + 15 > (idt.limit() & 0xffffL)) {
            throw GuestFault.gp(gateError, String.format("vector %d is beyond the IDT limit 0x%x (IDTR base 0x%x)",
                    vector, idt.limit() & 0xffff, idt.base()));
        }
        long[] g = mem.readWords(idt.base() + vector * 16L, 2, false);
        long lo = g[0];
        long hi = g[1];
        int type = (int) (lo >>> 40) & 0x1f;                   // S bit included: must be a system descriptor
        if (type != 0x0e && type != 0x0f) {
            throw GuestFault.gp(gateError, String.format("IDT entry %d is not a 64-bit interrupt or trap gate"
                    + " (type 0x%x)", vector, type));
        }
        int gateDpl = (int) (lo >>> 45) & 3;
        int cpl = engine.cpl();
        if (kind == Kind.SOFTWARE && gateDpl < cpl) {
            throw GuestFault.gp(vector * 8 + 2, String.format("INT 0x%x from CPL %d through a gate of DPL %d",
                    vector, cpl, gateDpl));
        }
        if ((lo & (1L << 47)) == 0) {
            throw GuestFault.np(gateError, String.format("IDT entry %d is not present", vector));
        }
        int selector = (int) (lo >>> 16) & 0xffff;
        long offset = (lo & 0xffff) | ((lo >>> 48) << 16) | ((hi & 0xffffffffL) << 32);
        int ist = (int) (lo >>> 32) & 7;
        if ((selector & 0xfffc) == 0) {
            throw GuestFault.gp(ext, String.format("IDT entry %d has a null code selector", vector));
        }
        long desc = descriptor(mem, selector, ext, "the handler's code segment");
        int flags = (int) (desc >>> 32);
        int csError = (selector & 0xfffc) + ext;
        if ((flags & (1 << 12)) == 0 || (flags & (1 << 11)) == 0) {
            throw GuestFault.gp(csError, String.format("selector 0x%x of IDT entry %d is not a code segment",
                    selector, vector));
        }
        int csDpl = (flags >>> 13) & 3;
        if (csDpl > cpl) {
            throw GuestFault.gp(csError, String.format("code segment 0x%x has DPL %d above CPL %d", selector, csDpl,
                    cpl));
        }
        if ((flags & (1 << 15)) == 0) {
            throw GuestFault.np(csError, String.format("code segment 0x%x is not present", selector));
        }
        if ((flags & (1 << 21)) == 0 || (flags & (1 << 22)) != 0) {
            throw GuestFault.gp(csError, String.format("code segment 0x%x is not a 64-bit code segment (L=1, D=0)",
                    selector));
        }
        if (!PageWalker.canonical(offset, mem.fiveLevel())) {
            throw GuestFault.gp(ext, String.format("handler address 0x%x of IDT entry %d is not canonical", offset,
                    vector));
        }
        int newCpl = (flags & (1 << 10)) != 0 ? cpl : csDpl;    // conforming code keeps the CPL
        long oldRsp = engine.read(Register.RSP);
        long rsp = oldRsp;
        if (ist != 0) {
            rsp = tssStack(mem, 0x24 + (ist - 1) * 8, ext, "IST" + ist);
        } else if (newCpl < cpl) {
            rsp = tssStack(mem, 4 + newCpl * 8, ext, "RSP" + newCpl);
        }
        if (!PageWalker.canonical(rsp, mem.fiveLevel())) {
            throw new GuestFault(Vectors.SS, ext, 0, String.format("the handler's stack 0x%x is not canonical", rsp));
        }
        rsp &= ~0xfL;
        long rflags = engine.read(Register.RFLAGS);
        long ss = engine.read(Register.SS);
        long cs = engine.read(Register.CS);
        boolean pushError = kind == Kind.EXCEPTION && Vectors.hasErrorCode(vector);
        long[] frame = pushError ? new long[] {errorCode & 0xffffffffL, rip, cs, rflags, oldRsp, ss}
                : new long[] {rip, cs, rflags, oldRsp, ss};
        long top = rsp - 8L * frame.length;
        mem.writeWords(top, frame, newCpl == 3);               // a fault on any word faults the delivery
        long newFlags = rflags & ~(TF | NT | RF | VM);
        if (type == 0x0e) {
            newFlags &= ~IF;                                   // interrupt gate; a trap gate keeps IF
        }
        engine.write(Register.RSP, top);
        engine.write(Register.RFLAGS, newFlags);
        engine.write(Register.RIP, offset);
        Segment newCs = new Segment((selector & 0xfffc) | newCpl, 0, 0xffffffff, flags);
        // SDM 6.14.2: on a privilege change SS becomes a null selector with RPL = new CPL; else it stays
        Segment newSs = newCpl != cpl ? new Segment(newCpl, 0, 0, newCpl << 13) : null;
        engine.enterHandler(newCs, newSs);
    }

    /** The 8-byte descriptor {@code selector} names, from the GDT or the LDT. */
    private long descriptor(PageWalker mem, int selector, int ext, String what) {
        int index = selector & 0xfff8;
        boolean ldt = (selector & 4) != 0;
        long base;
        long limit;
        if (ldt) {
            SystemSegment l = engine.readLdtr();
            base = l.base();
            limit = l.limit() & 0xffffffffL;
            if ((l.selector() & 0xfffc) == 0) {
                throw GuestFault.gp((selector & 0xfffc) + ext, String.format("%s 0x%x is in the LDT, but no LDT is"
                        + " loaded", what, selector));
            }
        } else {
            DescriptorTable g = engine.readGdtr();
            base = g.base();
            limit = g.limit() & 0xffffL;
        }
        if (index + 7 > limit) {
            throw GuestFault.gp((selector & 0xfffc) + ext, String.format("%s 0x%x is beyond the %s limit 0x%x", what,
                    selector, ldt ? "LDT" : "GDT", limit));
        }
        return mem.read64(base + index, false);
    }

    /** A stack pointer from the 64-bit TSS at {@code offset}. */
    private long tssStack(PageWalker mem, int offset, int ext, String name) {
        SystemSegment tr = engine.readTr();
        if ((tr.selector() & 0xfffc) == 0) {
            throw new GuestFault(Vectors.TS, ext, 0, "the handler needs the TSS's " + name
                    + " stack, but no TSS is loaded (TR is null)");
        }
        if (offset + 7 > (tr.limit() & 0xffffffffL)) {
            throw new GuestFault(Vectors.TS, (tr.selector() & 0xfffc) + ext, 0, String.format(
                    "TSS limit 0x%x does not cover %s", tr.limit(), name));
        }
        return mem.read64(tr.base() + offset, false);
    }
}
