// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import limu.emulator.VirtualClock;
import limu.emulator.unicorn.CpuHooks;
import limu.emulator.unicorn.Engine;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.Segment;

/**
 * What one CPU does that Unicorn leaves to its host: exceptions and interrupts
 * through the IDT ({@link IdtDelivery}), SYSCALL, CPUID ({@link CpuModel}),
 * RDTSC/RDTSCP from the {@link VirtualClock}, RDMSR/WRMSR ({@link MsrFile}).
 * It is the engine's {@link CpuHooks}; port I/O goes on to {@code ports}.
 */
public final class CpuCore implements CpuHooks {
    private static final long IF = 1 << 9, RF = 1 << 16;

    private final int index;
    private final CpuHooks ports;
    private final CpuModel model;
    private final VirtualClock clock;
    private final ApicMsrs apic;
    private final Function<Engine, String> registerDump;
    private Engine engine;
    private IdtDelivery delivery;
    private MsrFile msrs;
    private final byte[] one = new byte[1];
    /** Who watches this CPU's {@link Engine#setAddressHook address hooks} (the heap checker); none by default. */
    private AddressObserver addressObserver = (linear, registers) -> false;
    /** Who watches this CPU's heap-watched accesses (--heap-check=strict); none by default. */
    private HeapAccessObserver heapObserver;

    public CpuCore(int index, CpuHooks ports, CpuModel model, VirtualClock clock, ApicMsrs apic,
                   Function<Engine, String> registerDump) {
        this.index = index;
        this.ports = ports;
        this.model = model;
        this.clock = clock;
        this.apic = apic;
        this.registerDump = registerDump;
    }

    /** Binds the engine these hooks belong to (created with this object as its hooks). */
    public void attach(Engine cpu) {
        this.engine = cpu;
        this.delivery = new IdtDelivery(index, cpu, registerDump);
        this.msrs = new MsrFile(index, cpu, apic);
    }

    public IdtDelivery delivery() {
        return delivery;
    }

    public MsrFile msrs() {
        return msrs;
    }

    /** The triple fault that stopped this CPU, or null. */
    public ExceptionChain shutdown() {
        return delivery.shutdown();
    }

    /**
     * Hooks every RDMSR/WRMSR (0F 32 / 0F 30, with a REX prefix too) found in
     * {@code code}, loaded at linear {@code address}. A byte pair inside another
     * instruction costs nothing: the hook fires only where an instruction starts.
     * Only for engines that do not {@link Engine#scansFetchedCode() scan fetched
     * code} themselves; there, code the guest writes later (user programs) is not
     * covered: RDMSR/WRMSR run as Unicorn does them (0 read, writes ignored).
     */
    public int interceptMsrs(long address, byte[] code) {
        List<Long> sites = msrSites(address, code);
        for (long a : sites) {
            engine.interceptMsrAccessAt(a);
        }
        return sites.size();
    }

    static List<Long> msrSites(long address, byte[] code) {
        List<Long> r = new ArrayList<>();
        for (int i = 0; i + 1 < code.length; i++) {
            if (code[i] == 0x0f && (code[i + 1] == 0x30 || code[i + 1] == 0x32)) {
                if (i > 0 && (code[i - 1] & 0xf0) == 0x40) {
                    r.add(address + i - 1);
                }
                r.add(address + i);
            }
        }
        return r;
    }

    /**
     * Delivers an external interrupt between slices when the CPU accepts one:
     * RFLAGS.IF set and not in the one-instruction shadow after STI or MOV SS
     * (QEMU's HF_INHIBIT_IRQ, read from the engine's hidden flags). False when
     * it must wait. When delivering it fails up to a triple fault,
     * {@link #shutdown()} says so and the machine must stop.
     */
    public boolean deliverExternal(int vector) {
        if ((engine.read(Register.RFLAGS) & IF) == 0 || engine.interruptShadow()) {
            return false;
        }
        delivery.deliver(vector, 0, IdtDelivery.Kind.EXTERNAL);
        return true;
    }

    @Override
    public long mmioRead(long address, int size) {
        return ports.mmioRead(address, size);
    }

    @Override
    public boolean mmioWrite(long address, int size, long value) {
        return ports.mmioWrite(address, size, value);
    }

    /** Delivers an NMI (vector 2): not blocked by RFLAGS.IF. */
    public void deliverNmi() {
        delivery.deliver(2, 0, IdtDelivery.Kind.EXTERNAL);
    }

    /** True when RFLAGS.IF is set and no STI/MOV SS shadow blocks a maskable interrupt. */
    public boolean acceptsInterrupts() {
        return (engine.read(Register.RFLAGS) & IF) != 0 && !engine.interruptShadow();
    }

    @Override
    public int portIn(int port, int size) {
        return ports.portIn(port, size);
    }

    @Override
    public boolean portOut(int port, int size, int value) {
        return ports.portOut(port, size, value);
    }

    @Override
    public boolean exception(int vector, int errorCode, boolean software) {
        return delivery.deliver(vector, errorCode, software ? IdtDelivery.Kind.SOFTWARE : IdtDelivery.Kind.EXCEPTION);
    }

    /**
     * SYSCALL (SDM vol. 2B): #UD unless EFER.SCE; RCX = next RIP, R11 = RFLAGS,
     * RFLAGS &= ~SFMASK (and RF), CS = STAR[47:32], SS = CS + 8, CPL 0,
     * RIP = LSTAR. Unicorn adds the instruction's 2 bytes after the hook.
     */
    @Override
    public boolean syscall() {
        long rip = engine.read(Register.RIP);
        long efer = engine.readMsr(MsrFile.EFER);
        if ((efer & 1) == 0 || (efer & (1 << 10)) == 0) {
            boolean ok = delivery.deliver(Vectors.UD, 0, IdtDelivery.Kind.EXCEPTION);
            engine.write(Register.RIP, engine.read(Register.RIP) - 2);
            return ok;
        }
        long rflags = engine.read(Register.RFLAGS);
        long star = engine.readMsr(MsrFile.STAR);
        int cs = (int) (star >>> 32) & 0xfffc;
        engine.write(Register.RCX, rip + 2);
        engine.write(Register.R11, rflags & ~RF);
        engine.write(Register.RFLAGS, rflags & ~engine.readMsr(MsrFile.SFMASK) & ~RF);
        engine.write(Register.RIP, engine.readMsr(MsrFile.LSTAR) - 2);
        // the flat selectors SYSCALL loads, as QEMU's helper_syscall builds them: code (G P S type 0xb L), data
        engine.enterHandler(new Segment(cs, 0, 0xffffffff, 0x00a09b00), new Segment(cs + 8, 0, 0xffffffff, 0x00c09300));
        return true;
    }

    @Override
    public boolean cpuid() {
        int[] r = model.cpuid(index, (int) engine.read(Register.RAX), (int) engine.read(Register.RCX));
        engine.write(Register.RAX, r[0] & 0xffffffffL);
        engine.write(Register.RBX, r[1] & 0xffffffffL);
        engine.write(Register.RCX, r[2] & 0xffffffffL);
        engine.write(Register.RDX, r[3] & 0xffffffffL);
        return true;
    }

    @Override
    public long rdtsc(long sliceBlocks, boolean rdtscp) {
        if (rdtscp) {
            engine.write(Register.RCX, msrs.tscAux());
        }
        return msrs.tsc(clock.tsc(sliceBlocks));
    }

    /** An address hook fired (registers: {@link CpuHooks#HOOK_REGISTERS}): true stops the machine. */
    public interface AddressObserver {
        boolean hit(long linear, long[] registers);
    }

    /** Routes {@link #addressHit} to {@code observer} (true from it stops the machine). */
    public void observeAddresses(AddressObserver observer) {
        this.addressObserver = observer;
    }

    @Override
    public boolean addressHit(long linear, long[] registers) {
        return addressObserver.hit(linear, registers);
    }

    /** A heap-watched access: true stops the machine. */
    public interface HeapAccessObserver {
        boolean access(long physical, int size, boolean write, long rip);
    }

    public void observeHeapAccesses(HeapAccessObserver observer) {
        this.heapObserver = observer;
    }

    @Override
    public boolean heapAccess(long physical, int size, boolean write, long rip) {
        return heapObserver != null && heapObserver.access(physical, size, write, rip);
    }

    /** This CPU emulates RDMSR/WRMSR and yields on PAUSE wherever the guest executes them. */
    @Override
    public boolean modelsMsrs() {
        return true;
    }

    /** RDMSR/WRMSR at a hooked address: emulated, RIP moved past it; #GP at CPL > 0 or for an unknown MSR. */
    @Override
    public boolean msr() {
        long rip = engine.read(Register.RIP);
        engine.readVirtual(rip, one);                          // just fetched: mapped
        int length = (one[0] & 0xf0) == 0x40 ? 3 : 2;          // REX prefix
        engine.readVirtual(rip + length - 1, one);
        boolean write = one[0] == 0x30;
        int index = (int) engine.read(Register.RCX);
        try {
            if (engine.cpl() != 0) {
                throw GuestFault.gp(0, "RDMSR/WRMSR at CPL " + engine.cpl());
            }
            long pending = engine.sliceBlocks();   // the running slice's work counts, as for RDTSC
            if (write) {
                long value = (engine.read(Register.RDX) << 32) | (engine.read(Register.RAX) & 0xffffffffL);
                msrs.write(index, value, clock.tsc(pending));
            } else {
                long value = msrs.read(index, clock.tsc(pending));
                engine.write(Register.RAX, value & 0xffffffffL);
                engine.write(Register.RDX, value >>> 32);
            }
            engine.write(Register.RIP, rip + length);
            return true;
        } catch (GuestFault f) {
            return delivery.deliver(f.vector, f.errorCode, IdtDelivery.Kind.EXCEPTION);
        }
    }
}
