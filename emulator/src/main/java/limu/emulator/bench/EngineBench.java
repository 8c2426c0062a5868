// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.bench;

import java.util.Arrays;
import limu.devices.PortBus;
import limu.emulator.VirtualClock;
import limu.emulator.cpu.ApicMsrs;
import limu.emulator.cpu.CpuCore;
import limu.emulator.cpu.CpuModel;
import limu.emulator.unicorn.DescriptorTable;
import limu.emulator.unicorn.Register;
import limu.emulator.unicorn.RunExit;
import limu.emulator.unicorn.Slice;
import limu.emulator.unicorn.UnicornEngine;

/**
 * Figures of the engine alone, without a machine around it ({@link BareEngine}): each runs a
 * hand-assembled guest loop {@code runs} times and reports medians in milliseconds.
 */
public final class EngineBench {
    private static final int COUNTER_PORT = 0x80;

    /** A loop with the operation measured and the same loop with NOPs in its place. */
    public record Comparison(int count, long seen, double withMs, double withoutMs) {
        /** Host nanoseconds one operation adds. */
        public double nanosEach() {
            return (withMs - withoutMs) * 1e6 / count;
        }
    }

    private final int runs;

    public EngineBench(int runs) {
        this.runs = runs;
    }

    /** `dec ecx; jnz` {@code loops} times on a bare engine: its median time. */
    public double bareLoop(int loops) {
        byte[] code = {(byte) 0xb9, (byte) loops, (byte) (loops >> 8), (byte) (loops >> 16), (byte) (loops >> 24),
            (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xfc, (byte) 0xf4};     // mov ecx, n; l: dec ecx; jnz l; hlt
        try (BareEngine bare = new BareEngine(new PortBusHooks(new PortBus()), false)) {
            return medianRun(bare, code);
        }
    }

    /** {@code count} guest OUTs reaching a Java device through the JNI shim, against a loop of NOPs. */
    public Comparison portWrites(int count) {
        // mov ecx, count; mov dx, 0x80; l: out dx, al; dec ecx; jnz l; hlt
        byte[] code = {(byte) 0xb9, (byte) count, (byte) (count >> 8), (byte) (count >> 16), (byte) (count >> 24),
            0x66, (byte) 0xba, (byte) COUNTER_PORT, 0x00, (byte) 0xee, (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xfb,
            (byte) 0xf4};
        byte[] noOut = code.clone();
        noOut[9] = (byte) 0x90;
        PortCounter device = new PortCounter(COUNTER_PORT);
        PortBus bus = new PortBus();
        bus.attach(device);
        double withOut;
        double withNop;
        try (BareEngine bare = new BareEngine(new PortBusHooks(bus), false)) {
            withOut = medianRun(bare, code);
        }
        try (BareEngine bare = new BareEngine(new PortBusHooks(bus), false)) {
            withNop = medianRun(bare, noOut);
        }
        return new Comparison(count, device.writes(), withOut, withNop);
    }

    /**
     * {@code count} int3s whose handler is a bare iretq, against the same loop with two NOPs:
     * Unicorn's interrupt hook, the JNI upcall, limu's IDT delivery (gate, GDT, frame through
     * the guest page tables) and the iretq. {@code seen}: the exceptions delivered in the last run.
     */
    public Comparison exceptionDelivery(int count) {
        byte[] code = new byte[0x400];
        byte[] loop = {(byte) 0xb9, (byte) count, (byte) (count >> 8), (byte) (count >> 16), (byte) (count >> 24),
            (byte) 0xcc, (byte) 0x90, (byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xfa, (byte) 0xf4};
        System.arraycopy(loop, 0, code, 0, loop.length);      // mov ecx, n; l: int3; nop; dec ecx; jnz l; hlt
        code[0x100] = 0x48;                                   // handler: iretq
        code[0x101] = (byte) 0xcf;
        putLong(code, 0x208, 0x00209a0000000000L);            // GDT[1]: 64-bit code
        long handler = BareEngine.CODE + 0x100;
        putLong(code, 0x300 + 3 * 16, (handler & 0xffff) | (0x08L << 16) | (0x8eL << 40)
                | (((handler >>> 16) & 0xffff) << 48));
        putLong(code, 0x300 + 3 * 16 + 8, handler >>> 32);
        byte[] nops = code.clone();
        nops[5] = (byte) 0x90;
        CpuCore core = new CpuCore(0, new PortBusHooks(new PortBus()), new CpuModel(1, VirtualClock.TSC_HZ),
                new VirtualClock(), ApicMsrs.NONE, e -> "");
        double withInt3;
        double withNop;
        long delivered;
        try (BareEngine bare = new BareEngine(core, false)) {
            withInt3 = medianRunWithIdt(bare, core, code);
            delivered = core.delivery().delivered();
        }
        try (BareEngine bare = new BareEngine(core, false)) {
            withNop = medianRunWithIdt(bare, core, nops);
        }
        return new Comparison(count, delivered, withInt3, withNop);
    }

    private double medianRunWithIdt(BareEngine bare, CpuCore core, byte[] code) {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            UnicornEngine e = bare.load(code);
            core.attach(e);
            e.writeGdtr(new DescriptorTable(BareEngine.CODE + 0x200, 15));
            e.writeIdtr(new DescriptorTable(BareEngine.CODE + 0x300, 4 * 16 - 1));
            e.write(Register.CS, 0x08);
            long t0 = System.nanoTime();
            runToHlt(e);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        return median(t);
    }

    private double medianRun(BareEngine bare, byte[] code) {
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            UnicornEngine e = bare.load(code);
            long t0 = System.nanoTime();
            runToHlt(e);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        return median(t);
    }

    private static void runToHlt(UnicornEngine e) {
        Slice s;
        do {
            s = e.run(Long.MAX_VALUE);
        } while (s.exit() == RunExit.BUDGET);
    }

    private static void putLong(byte[] b, int offset, long v) {
        for (int i = 0; i < 8; i++) {
            b[offset + i] = (byte) (v >>> (8 * i));
        }
    }

    /** The median of {@code v} (the mean of the middle two for an even count). */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
