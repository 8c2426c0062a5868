// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.unicorn;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.Path;

/** {@link Engine} on one Unicorn x86_64 instance, with limu's hooks attached through the shim. */
public final class UnicornEngine implements Engine {
    private static final int REG_GDTR = 243;
    private static final int REG_IDTR = 242;
    private static final int REG_MSR = 248;
    private static final int REG_LDTR = 244;
    private static final int REG_TR = 245;
    private static final Map<Register, Integer> IDS = new EnumMap<>(Register.class);

    static {
        int[] ids = {35, 37, 38, 40, 43, 39, 36, 44, 106, 107, 108, 109, 110, 111, 112, 113, // GPRs
            41, 253, 11, 17, 28, 32, 33, 49, 50, 52, 53, 54, 58, 250, 251};
        Register[] all = Register.values();
        for (int i = 0; i < all.length; i++) {
            IDS.put(all[i], ids[i]);
        }
    }

    private final long uc;
    final long shim;
    private final boolean guestPaging;
    private boolean scansFetchedCode;
    private final long[] one = new long[1];
    private final long[] out = new long[7];
    private boolean closed;

    /**
     * A new engine with every hook installed (before any code is translated).
     * {@code countInstructions} adds a per-instruction hook (6-8 ns each): for measurements only.
     */
    public UnicornEngine(UnicornLibrary library, CpuHooks hooks, boolean countInstructions) {
        this(library, hooks, countInstructions, false);
    }

    /**
     * The system property that runs the guest on Unicorn's own x86 MMU instead of limu's page walk
     * (for measurements: every store to a page the guest may execute then takes Unicorn's slow path).
     */
    public static final String UNICORN_MMU_PROPERTY = "limu.unicornMmu";

    /**
     * The system property that, set to {@code false}, turns off the scan of fetched code pages for
     * RDMSR, WRMSR and PAUSE (for measurements: only the kernel image's RDMSR/WRMSR are then
     * intercepted, and PAUSE never yields).
     */
    public static final String CODE_SCAN_PROPERTY = "limu.codeScan";

    /**
     * The calibrating engines ({@link ContextLayout}) keep Unicorn's own MMU: they locate where Unicorn
     * keeps the #PF error code, which only its MMU's page faults write.
     */
    UnicornEngine(UnicornLibrary library, CpuHooks hooks, boolean countInstructions, boolean calibrating) {
        this(library, hooks, countInstructions, calibrating,
                !calibrating && !Boolean.getBoolean(UNICORN_MMU_PROPERTY) && FaultAddressLayout.found(library));
    }

    UnicornEngine(UnicornLibrary library, CpuHooks hooks, boolean countInstructions, boolean calibrating,
                  boolean guestPaging) {
        if (!calibrating) {
            ContextLayout.of(library);
        }
        this.guestPaging = guestPaging;
        long[] handle = new long[1];
        UnicornException.check(Uc.uc_open(Uc.ARCH_X86, Uc.MODE_64, handle), "uc_open");
        uc = handle[0];
        try {
            shim = Shim.attach(uc, hooks, countInstructions, guestPaging);
            scansFetchedCode = guestPaging && hooks.modelsMsrs()
                    && !"false".equals(System.getProperty(CODE_SCAN_PROPERTY))
                    && Shim.scanFetchedCode(shim);
        } catch (RuntimeException e) {
            Uc.uc_close(uc);
            throw e;
        }
    }

    /** Convenience for tests and tools: the default library. */
    public static UnicornEngine open(CpuHooks hooks) {
        return new UnicornEngine(UnicornLibrary.load(Optional.<Path>empty()), hooks, false);
    }

    /** RAM mapped with {@link #mapRam}: physical reads and writes go straight to host memory. */
    private record Bank(long base, long length, com.sun.jna.Pointer host) {
    }

    private final java.util.List<Bank> banks = new java.util.ArrayList<>();

    @Override
    public void mapRam(long guestPhysical, long length, long hostAddress) {
        UnicornException.check(Uc.uc_mem_map_ptr(uc, guestPhysical, length, Uc.PROT_ALL, hostAddress),
                String.format("map guest RAM 0x%x+0x%x", guestPhysical, length));
        banks.add(new Bank(guestPhysical, length, new com.sun.jna.Pointer(hostAddress)));
        Shim.addRam(shim, guestPhysical, length, hostAddress);
    }

    /** True when limu's page walk fills the TLB (the default), false on Unicorn's own MMU. */
    public boolean guestPaging() {
        return guestPaging;
    }

    /** Fills of the virtual TLB since this engine started (0 on Unicorn's own MMU). */
    public long tlbFills() {
        return Shim.tlbFills(shim);
    }

    private Bank bank(long physical, int length) {
        for (Bank b : banks) {
            if (physical >= b.base && physical - b.base + length <= b.length) {
                return b;
            }
        }
        return null;
    }

    @Override
    public void mapMmio(long guestPhysical, long length) {
        Shim.mapMmio(shim, guestPhysical, length);
    }

    @Override
    public long read(Register register) {
        UnicornException.check(Uc.uc_reg_read(uc, IDS.get(register), one), "read " + register);
        return one[0];
    }

    @Override
    public void write(Register register, long value) {
        one[0] = value;
        UnicornException.check(Uc.uc_reg_write(uc, IDS.get(register), one), "write " + register);
    }

    @Override
    public DescriptorTable readGdtr() {
        return readTable(REG_GDTR, "GDTR");
    }

    @Override
    public DescriptorTable readIdtr() {
        return readTable(REG_IDTR, "IDTR");
    }

    @Override
    public void writeGdtr(DescriptorTable table) {
        writeTable(REG_GDTR, "GDTR", table);
    }

    @Override
    public void writeIdtr(DescriptorTable table) {
        writeTable(REG_IDTR, "IDTR", table);
    }

    // uc_x86_mmr: u16 selector @0, u64 base @8, u32 limit @16, u32 flags @20
    private DescriptorTable readTable(int id, String name) {
        long[] mmr = new long[3];
        UnicornException.check(Uc.uc_reg_read(uc, id, mmr), "read " + name);
        return new DescriptorTable(mmr[1], (int) mmr[2]);
    }

    private void writeTable(int id, String name, DescriptorTable table) {
        long[] mmr = {0, table.base(), table.limit() & 0xffffffffL};
        UnicornException.check(Uc.uc_reg_write(uc, id, mmr), "write " + name);
    }

    @Override
    public SystemSegment readTr() {
        return readSystemSegment(REG_TR, "TR");
    }

    @Override
    public SystemSegment readLdtr() {
        return readSystemSegment(REG_LDTR, "LDTR");
    }

    private SystemSegment readSystemSegment(int id, String name) {
        long[] mmr = new long[3];
        UnicornException.check(Uc.uc_reg_read(uc, id, mmr), "read " + name);
        return new SystemSegment((int) (mmr[0] & 0xffff), mmr[1], (int) mmr[2], (int) (mmr[2] >>> 32));
    }

    // uc_x86_msr: u32 rid @0, u64 value @8
    @Override
    public long readMsr(int index) {
        long[] msr = {index & 0xffffffffL, 0};
        UnicornException.check(Uc.uc_reg_read(uc, REG_MSR, msr), String.format("rdmsr 0x%x", index));
        return msr[1];
    }

    @Override
    public void writeMsr(int index, long value) {
        long[] msr = {index & 0xffffffffL, value};
        UnicornException.check(Uc.uc_reg_write(uc, REG_MSR, msr), String.format("wrmsr 0x%x", index));
    }

    /**
     * Host reads (debugger, heap checker, crash reports) see every present page whatever the CPL and
     * leave accessed/dirty flags alone, as a debugger's reads should.
     */
    @Override
    public boolean readVirtual(long linear, byte[] destination) {
        if (!guestPaging) {
            return Uc.uc_vmem_read(uc, linear, Uc.PROT_READ, destination, destination.length) == Uc.ERR_OK;
        }
        if (Shim.readVirtual(shim, linear, destination, destination.length) == destination.length) {
            return true;   // all of it RAM: one native call (the heap checker reads a stack at every allocator call)
        }
        int done = 0;   // a fault or a page that is not RAM on the way: page by page, to say which
        while (done < destination.length) {
            long at = linear + done;
            long physical = Shim.translate(shim, at, 0, -2);
            if (physical < 0) {
                return false;
            }
            int n = (int) Math.min(destination.length - done, 0x1000 - (at & 0xfff));
            byte[] piece = done == 0 && n == destination.length ? destination : new byte[n];
            Bank b = bank(physical, n);
            if (b != null) {
                b.host.read(physical - b.base, piece, 0, n);
            } else if (Uc.uc_mem_read(uc, physical, piece, n) != Uc.ERR_OK) {
                return false;
            }
            if (piece != destination) {
                System.arraycopy(piece, 0, destination, done, n);
            }
            done += n;
        }
        return true;
    }

    @Override
    public boolean readVirtualWords(long linear, long[] destination) {
        int bytes = destination.length * 8;
        if (guestPaging && Shim.readVirtual(shim, linear, destination, bytes) == bytes) {
            return true;
        }
        return Engine.super.readVirtualWords(linear, destination);
    }

    @Override
    public int scanWords(long linear, int count, long lo, long hi, long[] words, int[] index) {
        if (guestPaging && count <= 1024) {
            int n = Shim.scanWords(shim, linear, count, lo, hi, words, index);
            if (n >= 0) {
                return n;   // the words filtered in C, one native call
            }
        }
        return Engine.super.scanWords(linear, count, lo, hi, words, index);
    }

    /**
     * The translation the CPU itself would make for an access at {@code privilege} (0 supervisor,
     * 3 user), or the page fault it would raise, from the same page walk that fills the TLB.
     */
    public Translation translate(long linear, MemoryAccess access, int privilege) {
        if (!guestPaging) {
            throw new IllegalStateException("this engine runs on Unicorn's own MMU");
        }
        int kind = access == MemoryAccess.WRITE ? 1 : access == MemoryAccess.FETCH ? 2 : 0;
        long r = Shim.translate(shim, linear, kind, privilege);
        if (r >= 0) {
            return new Translation(r, 0, 0);
        }
        long fault = -1 - r;
        return new Translation(-1, (int) (fault >>> 16), (int) (fault & 0xffff));
    }

    /** A physical address, or the exception (13 #GP, 14 #PF) and error code the access raises. */
    public record Translation(long physical, int vector, int errorCode) {
        public boolean faults() {
            return physical < 0;
        }
    }

    @Override
    public void readPhysical(long physical, byte[] destination) {
        Bank b = bank(physical, destination.length);
        if (b != null) {
            b.host.read(physical - b.base, destination, 0, destination.length);
            return;
        }
        UnicornException.check(Uc.uc_mem_read(uc, physical, destination, destination.length),
                String.format("read physical 0x%x+0x%x", physical, destination.length));
    }

    @Override
    public void writePhysical(long physical, byte[] source) {
        Bank b = bank(physical, source.length);
        if (b != null) {
            b.host.write(physical - b.base, source, 0, source.length);
            return;
        }
        UnicornException.check(Uc.uc_mem_write(uc, physical, source, source.length),
                String.format("write physical 0x%x+0x%x", physical, source.length));
    }

    /** The uc_context_save blob (CPUX86State up to end_reset_fields) of one engine. */
    private record Context(long shim, byte[] blob, long stoppedAt) {
    }

    /** RIP where the last debugger slice ended: a run starting there resumes from it. */
    private long stoppedAt = -1;

    @Override
    public Object saveContext() {
        return new Context(shim, Shim.context(shim), stoppedAt);
    }

    @Override
    public void restoreContext(Object context) {
        if (!(context instanceof Context c) || c.shim != shim) {
            throw new IllegalArgumentException("not a context saved by this engine");
        }
        Shim.restoreContext(shim, c.blob);
        stoppedAt = c.stoppedAt;
    }

    private static final int HF_INHIBIT_IRQ = 1 << 3;

    @Override
    public int cpl() {
        return Shim.hflags(shim) & 3;
    }

    @Override
    public boolean interruptShadow() {
        return (Shim.hflags(shim) & HF_INHIBIT_IRQ) != 0;
    }

    @Override
    public void enterHandler(Segment cs, Segment ss) {
        Shim.enterHandler(shim, ss == null ? 1 : 3, cs.selector(), cs.base(), cs.limit(), cs.flags(),
                ss == null ? 0 : ss.selector(), ss == null ? 0 : ss.base(), ss == null ? 0 : ss.limit(),
                ss == null ? 0 : ss.flags());
    }

    @Override
    public void exceptionHandled() {
        Shim.enterHandler(shim, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private static final int MSR_EFER = 0xC0000080, MSR_PAT = 0x277, MSR_KERNEL_GS_BASE = 0xC0000102;
    private static final long EFER_LME = 1 << 8, EFER_LMA = 1 << 10, CR0_PE = 1, CR0_PG = 1L << 31, CR4_PAE = 1 << 5;
    /** Real-mode data segment and 16-bit code segment attributes (P, S, type 3 / type 0xB), as after reset. */
    private static final int REAL_DATA = 0x9300, REAL_CODE = 0x9b00;

    /**
     * How: Unicorn's uc_reg_write of CR0 and EFER go through QEMU's cpu_x86_update_cr0 and
     * cpu_load_efer, which keep the hidden flags right, but long mode (EFER.LMA, HF_LMA, HF_CS64)
     * is only left when CR0.PG goes from 1 to 0 while LMA is set; an engine that never ran has LMA
     * with paging off (UC_MODE_64's set-up), so paging is switched on first (PAE, LME) to be
     * switched off. In UC_MODE_64, writing CS/DS/SS/ES only sets the selector, so CS and SS are
     * loaded through the context blob (enterHandler: CS32/CS64 from CS, CPL from SS), DS and ES
     * likewise (setSegment), and FS and GS with uc_reg_write, which in real mode is QEMU's
     * cpu_x86_load_seg (base = selector * 16) and recomputes SS32 and ADDSEG from the new SS.
     */
    @Override
    public void enterRealMode(int vector, long signature) {
        int cs = (vector & 0xff) << 8;
        if ((readMsr(MSR_EFER) & EFER_LMA) != 0 && (read(Register.CR0) & CR0_PG) == 0) {
            write(Register.CR4, CR4_PAE);
            writeMsr(MSR_EFER, EFER_LME);
            write(Register.CR0, CR0_PE | CR0_PG);
        }
        write(Register.CR0, 0x60000010L);   // paging off: out of long mode; PE off: real mode
        writeMsr(MSR_EFER, 0);
        write(Register.CR4, 0);
        write(Register.CR3, 0);
        write(Register.CR2, 0);
        write(Register.CR8, 0);
        write(Register.RFLAGS, 2);
        writeMsr(MSR_PAT, 0x0007040600070406L);
        writeMsr(MSR_KERNEL_GS_BASE, 0);
        writeGdtr(new DescriptorTable(0, 0xffff));
        writeIdtr(new DescriptorTable(0, 0x3ff));
        Shim.setSegment(shim, 0, 0, 0, 0xffff, REAL_DATA);   // ES
        Shim.setSegment(shim, 3, 0, 0, 0xffff, REAL_DATA);   // DS
        enterHandler(new Segment(cs, (long) cs << 4, 0xffff, REAL_CODE), new Segment(0, 0, 0xffff, REAL_DATA));
        write(Register.FS, 0);
        write(Register.GS, 0);
        for (Register r : Register.GENERAL) {
            write(r, 0);
        }
        write(Register.RDX, signature & 0xffffffffL);
        write(Register.RIP, 0);
    }

    @Override
    public void interceptMsrAccessAt(long linear) {
        Shim.addMsrHook(shim, linear);
    }

    @Override
    public boolean scansFetchedCode() {
        return scansFetchedCode;
    }

    @Override
    public void setPauseYield(int pauses) {
        Shim.setPauseYield(shim, pauses);
    }

    @Override
    public void limitSliceBudget(long blocks) {
        Shim.limitSliceBudget(shim, blocks);
    }

    /** What the code scan did so far: pages scanned, RDMSR/WRMSR sites and PAUSE sites hooked, slices yielded. */
    public CodeScanCounts codeScanCounts() {
        long[] c = Shim.codeScanCounts(shim);
        return new CodeScanCounts(c[0], c[1], c[2], c[3]);
    }

    @Override
    public Slice run(long blockBudget) {
        long rip = read(Register.RIP);
        int err = Shim.run(shim, rip, blockBudget, out);
        RunExit exit = RunExit.ofCode(out[0]);
        if (err != Uc.ERR_OK && exit != RunExit.UNMAPPED && exit != RunExit.INVALID_OPCODE) {
            UnicornException.check(err, String.format("uc_emu_start at 0x%x", rip));
        }
        return new Slice(exit, (int) out[1], out[2], MemoryAccess.ofUnicorn(out[3]), (int) out[4], out[5], out[6]);
    }

    @Override
    public void recordBlocks(boolean on) {
        Shim.recordBlocks(shim, on);
    }

    @Override
    public List<ExecutedBlock> recordedBlocks() {
        long[] v = Shim.recordedBlocks(shim);
        List<ExecutedBlock> blocks = new ArrayList<>(v.length / 3);
        for (int i = 0; i + 2 < v.length; i += 3) {
            blocks.add(new ExecutedBlock(v[i], (int) v[i + 1], v[i + 2]));
        }
        return blocks;
    }

    @Override
    public void yieldSlice() {
        Shim.yieldSlice(shim);
    }

    @Override
    public void setInterruptPending(boolean pending) {
        Shim.setInterruptPending(shim, pending);
    }

    @Override
    public long sliceBlocks() {
        return Shim.sliceBlocks(shim);
    }

    @Override
    public void requestStop() {
        Shim.requestStop(shim);
    }

    @Override
    public void clearStopRequest() {
        Shim.clearStop(shim);
    }

    @Override
    public long translate(long linear) {
        if (guestPaging) {
            long r = Shim.translate(shim, linear, 0, -2);
            return r >= 0 ? r : -1;
        }
        long[] p = new long[1];
        return Uc.uc_vmem_translate(uc, linear, Uc.PROT_READ, p) == Uc.ERR_OK ? p[0] : -1;
    }

    @Override
    public void invalidateCode(long linear, long length) {
        Shim.invalidateCode(shim, linear, Math.max(1, length), translate(linear) >= 0);
    }

    @Override
    public boolean setBreakpoint(long linear, boolean on) {
        boolean ok = Shim.setBreakpoint(shim, linear, on);
        // Unicorn only calls hooks that existed when the code was translated (docs/unicorn-notes.md)
        invalidateCode(linear, 1);
        return ok;
    }

    @Override
    public boolean setWatchpoints(java.util.List<Watchpoint> watchpoints) {
        Shim.clearWatchpoints(shim);
        for (Watchpoint w : watchpoints) {
            int kind = (w.write() ? 1 : 0) | (w.read() ? 2 : 0);
            if (Shim.addWatchpoint(shim, w.physical(), w.physical() + w.length() - 1, kind) < 0) {
                Shim.clearWatchpoints(shim);
                return false;
            }
        }
        return true;
    }

    @Override
    public Slice runDebug(long blockBudget) {
        return debugRun(blockBudget, false);
    }

    @Override
    public Slice step() {
        return debugRun(Long.MAX_VALUE, true);
    }

    private Slice debugRun(long blockBudget, boolean step) {
        long rip = read(Register.RIP);
        // a breakpoint where the CPU stopped is passed over; one at an interrupt handler the host delivered is not
        int err = Shim.runDebug(shim, rip, blockBudget, step, step || rip == stoppedAt, out);
        stoppedAt = read(Register.RIP);
        RunExit exit = RunExit.ofCode(out[0]);
        if (err != Uc.ERR_OK && exit != RunExit.UNMAPPED && exit != RunExit.INVALID_OPCODE) {
            UnicornException.check(err, String.format("uc_emu_start at 0x%x", rip));
        }
        MemoryAccess access = exit != RunExit.WATCHPOINT ? MemoryAccess.ofUnicorn(out[3])
                : out[3] == 1 ? MemoryAccess.WRITE : MemoryAccess.READ;
        return new Slice(exit, (int) out[1], out[2], access, (int) out[4], out[5], out[6]);
    }

    @Override
    public void setReplay(Replay r) {
        if (r == null) {
            Shim.setReplay(shim, false, false, false, 0, 0, false);
        } else {
            Shim.setReplay(shim, true, r.everyInstruction(), r.armed(), r.blocks(), r.rip(), r.finalStop());
            if (r.armed()) {
                invalidateCode(r.rip(), 1);   // code translated before the stop's hook would not call it
            }
        }
    }

    @Override
    public ReplayHit replayHit() {
        long[] h = new long[8];
        Shim.replayHit(shim, h);
        return hit(h, 0);
    }

    @Override
    public ReplayHit replayHitBefore() {
        long[] h = new long[8];
        Shim.replayHit(shim, h);
        return hit(h, 4);
    }

    private static ReplayHit hit(long[] h, int at) {
        return h[at] == 0 ? ReplayHit.NONE : new ReplayHit((int) h[at], h[at + 1], h[at + 2], (int) h[at + 3]);
    }

    @Override
    public boolean setAddressHook(long linear, boolean on) {
        return Shim.setAddressHook(shim, linear, on, on && translate(linear) >= 0);
    }

    @Override
    public boolean addHeapWatch(long physical, long length) {
        return Shim.addHeapWatch(shim, physical, physical + length - 1);
    }

    @Override
    public byte[] readFpu() {
        byte[] b = new byte[372];
        Shim.readFpu(shim, b);
        return b;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Shim.detach(shim);
            Uc.uc_close(uc);
        }
    }
}
