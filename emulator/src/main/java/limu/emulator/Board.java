// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import limu.bootloader.DeviceAddresses;
import limu.devices.AcpiPm;
import limu.devices.ApicRouter;
import limu.devices.DebugConsole;
import limu.devices.DebugExit;
import limu.devices.Device;
import limu.devices.DeviceContext;
import limu.devices.DeviceProvider;
import limu.devices.DeviceProviders;
import limu.devices.Hpet;
import limu.devices.InterruptLine;
import limu.devices.InterruptLines;
import limu.devices.IoApic;
import limu.devices.IpiSink;
import limu.devices.LocalApic;
import limu.devices.MmioBus;
import limu.devices.MmioRange;
import limu.devices.Pic8259;
import limu.devices.Pit8254;
import limu.devices.PortBus;
import limu.devices.PowerListener;
import limu.devices.Ps2Controller;
import limu.devices.Rtc;
import limu.devices.Serial16550;
import limu.devices.SerialState;
import limu.devices.Snapshottable;
import limu.devices.TickRate;
import limu.devices.TimerQueue;
import limu.devices.TimerScheduler;
import limu.devices.VirtualTime;
import limu.devices.WiredOr;
import limu.emulator.cpu.ApicMsrs;

/**
 * Every device of the PC and where it is attached, wired as QEMU's {@code pc} machine and as
 * the MADT says. On the port bus: COM1, isa-debug-exit, debugcon, limu's snapshot marker, the
 * 8259 pair, the PIT, the RTC, the PS/2 controller, the ACPI PM block and plug-in devices'
 * ports. On the MMIO bus: the I/O APIC, the HPET and plug-in devices' windows. Each CPU's
 * local APIC decodes its own window ahead of the bus. The I/O APIC takes ISA IRQ n on pin n
 * (IRQ0 on pin 2); the 8259s feed every local APIC's LINT0. Every interrupt input is a
 * wired-OR, so two sources (the PIT and the HPET in legacy mode, say) never fight over a line.
 * All share one virtual clock and one timer queue. What the devices report that ends a slice
 * arrives as one {@link BoardEvent}.
 */
final class Board {
    private final OutputStream serialOutput;
    private final Mutable serialMute;
    private final Mutable debugconMute;
    private final DeviceAddresses addresses;
    private final VirtualTime time;
    private final TimerQueue timers = new TimerQueue();
    private final ApicRouter router = new ApicRouter();
    private final PortBus ports = new PortBus();
    private final MmioBus mmio = new MmioBus();
    private final PowerListener power = new PowerListener() {
        @Override
        public void resetRequested(String reason) {
            raise(new BoardEvent.Reset(reason));
        }

        @Override
        public void powerOffRequested(String reason) {
            raise(new BoardEvent.PowerOff(reason));
        }
    };
    private final Serial16550 com1;
    /** Bytes waiting to arrive on COM1's receive line. */
    private final SerialInput serialInput = new SerialInput();
    /** When {@link #flushOutputsIfDue} last flushed (System.nanoTime). */
    private long lastFlush;
    private final DebugExit debugExit;
    private final DebugConsole debugcon;
    private final List<LocalApic> lapics = new ArrayList<>();
    private final IoApic ioApic;
    private final Pic8259 pic;
    private final Ps2Controller keyboardController;
    private final WiredOr[] ioApicPins = new WiredOr[24];
    private final WiredOr[] picInputs = new WiredOr[16];
    /** The platform's port devices, in the order a snapshot captures them. */
    private final List<Device> platformPorts = new ArrayList<>();
    /** The {@code --device} plug-ins, in the order they were attached. */
    private final List<Device> plugins = new ArrayList<>();
    /** An exit-port write, a power-off or a reset: the run is over for good. */
    private BoardEvent ending;
    /** The snapshot marker written and not yet seen by the run loop. */
    private BoardEvent.Marker marker;

    /**
     * @param now the machine's virtual time in nanoseconds (it counts the running slice's work)
     * @throws IllegalArgumentException for an unknown plug-in device or bad options
     */
    Board(MachineConfig config, DeviceAddresses addresses, LongSupplier now, IpiSink ipis) {
        this.serialMute = new Mutable(config.serialOutput());
        this.debugconMute = config.debugconOutput() == config.serialOutput() ? serialMute
                : new Mutable(config.debugconOutput());
        this.serialOutput = serialMute;
        this.addresses = addresses;
        this.time = now::getAsLong;
        this.debugExit = new DebugExit((status, value) -> raise(new BoardEvent.ExitPort(value, status)));
        this.debugcon = new DebugConsole(debugconMute, config.flushEachLine());
        ports.attach(debugExit);
        ports.attach(debugcon);
        ports.attach(new SnapshotMarker(this::raise));
        this.ioApic = new IoApic(addresses.ioApic(), 0, router);
        router.add(ioApic);
        for (int p = 0; p < ioApicPins.length; p++) {
            ioApicPins[p] = new WiredOr(ioApic.pin(p));
        }
        this.pic = new Pic8259(level -> lapics.forEach(a -> a.lint0().set(level)));
        for (int n = 0; n < picInputs.length; n++) {
            picInputs[n] = new WiredOr(pic.irq(n));
        }
        pic.initialiseLikeFirmware();
        // COM1 on IRQ 4 as on a PC: the 8259's input 4 and I/O APIC pin 4 (the MADT has no override for it)
        this.com1 = new Serial16550(Serial16550.COM1, serialMute, isaIrq(4), config.flushEachLine());
        ports.attach(com1);
        TickRate tsc = new TickRate(VirtualClock.TSC_HZ);
        for (int i = 0; i < config.cpus(); i++) {
            LocalApic apic = new LocalApic(i, i == 0, config.x2apic(), time, timers, router, ipis, tsc);
            lapics.add(apic);
            router.add(apic);
        }
        // the HPET asks for a timer's route at every level change: one wired-OR source per GSI, kept
        InterruptLine[] hpetRoutes = new InterruptLine[ioApicPins.length];
        Hpet hpet = new Hpet(addresses.hpet(), time, timers, g -> g < 0 || g >= hpetRoutes.length
                ? InterruptLine.DISCONNECTED
                : (hpetRoutes[g] != null ? hpetRoutes[g] : (hpetRoutes[g] = gsi(g))), isaIrq(0), isaIrq(8));
        Pit8254 pit = new Pit8254(time, timers, hpet.legacyGate(0, isaIrq(0)));
        Rtc rtc = new Rtc(config.bootEpochSeconds(), time, timers, hpet.legacyGate(8, isaIrq(8)));
        mmio.attach(ioApic);
        mmio.attach(hpet);
        this.keyboardController = new Ps2Controller(power, isaIrq(1));
        platformPorts.addAll(List.of(pic, pit, rtc, keyboardController, new AcpiPm(time, timers, isaIrq(9), power)));
        platformPorts.forEach(ports::attach);
        DeviceProviders providers = DeviceProviders.load(Board.class.getClassLoader());
        for (MachineConfig.DeviceSpec spec : config.devices()) {
            Device d = plugin(providers, spec, config.serialOutput());
            if (!d.mmio().isEmpty()) {
                mmio.attach(d);
            }
            if (!d.ports().isEmpty()) {
                ports.attach(d);
            }
            plugins.add(d);
        }
    }

    /** Creates a plug-in device ({@code --device NAME[,key=value...]}) on this board's lines and clock. */
    private Device plugin(DeviceProviders providers, MachineConfig.DeviceSpec spec, OutputStream console) {
        DeviceProvider provider = providers.named(spec.name()).orElseThrow(() -> new IllegalArgumentException(
                "--device " + spec.name() + ": no such device (limu devices lists them)"));
        return provider.create(new DeviceContext() {
            @Override
            public VirtualTime time() {
                return time;
            }

            @Override
            public TimerScheduler timers() {
                return timers;
            }

            @Override
            public InterruptLine isaIrq(int irq) {
                if (irq < 0 || irq > 15) {
                    throw new IllegalArgumentException("ISA IRQ " + irq + " does not exist (0-15)");
                }
                return Board.this.isaIrq(irq);
            }

            @Override
            public InterruptLine gsi(int gsi) {
                return Board.this.gsi(gsi);
            }

            @Override
            public OutputStream console() {
                return console;
            }

            @Override
            public OutputStream openOutput(String path) throws IOException {
                return new java.io.BufferedOutputStream(new java.io.FileOutputStream(path));
            }

            @Override
            public PowerListener power() {
                return power;
            }
        }, spec.options());
    }

    /** A new source on ISA IRQ {@code n}: the 8259 input n and I/O APIC pin n (IRQ0: pin 2, per the MADT override). */
    private InterruptLine isaIrq(int n) {
        return InterruptLines.fanOut(picInputs[n].newSource(), ioApicPins[n == 0 ? 2 : n].newSource());
    }

    /** A new source on I/O APIC input {@code gsi}; unwired GSIs are disconnected. */
    private InterruptLine gsi(int gsi) {
        return gsi >= 0 && gsi < ioApicPins.length ? ioApicPins[gsi].newSource() : InterruptLine.DISCONNECTED;
    }

    // ---- what the CPUs see ----

    /** CPU {@code cpu}'s view of the buses, for its engine's hooks. */
    DeviceAccess accessFor(int cpu) {
        return new DeviceAccess(this, cpu);
    }

    int portRead(int port, int size) {
        return ports.read(port, size);
    }

    /**
     * A guest OUT; true when the slice must end: the write raised a snapshot marker, or the run is
     * over (exit port, power-off, reset; the rest of the block's port writes are then dropped).
     */
    boolean portWrite(int port, int size, int value) {
        BoardEvent.Marker before = marker;
        ports.write(port, size, value);
        return marker != before || ending != null;
    }

    /** An access by {@code cpu} to a device window: its own local APIC first, then the MMIO bus. */
    long mmioRead(int cpu, long address, int size) {
        LocalApic apic = lapics.get(cpu);
        if (apic.decodes(address)) {
            return apic.mmioRead(address - apic.windowBase(), size);
        }
        return mmio.read(address, size);
    }

    /** Returns true when the write may have made an interrupt deliverable (the CPU should look now). */
    boolean mmioWrite(int cpu, long address, int size, long value) {
        LocalApic apic = lapics.get(cpu);
        if (apic.decodes(address)) {
            apic.mmioWrite(address - apic.windowBase(), size, value);
            return true;
        }
        mmio.write(address, size, value);
        return address >= addresses.ioApic() && address < addresses.ioApic() + IoApic.WINDOW_SIZE;
    }

    /** The device windows every CPU maps: the LAPIC page and each MMIO device's pages. */
    List<MmioRange> windows() {
        List<MmioRange> w = new ArrayList<>();
        w.add(new MmioRange(addresses.localApic(), LocalApic.WINDOW_SIZE));
        for (Device d : mmio.devices()) {
            for (MmioRange r : d.mmio()) {
                w.add(new MmioRange(r.base() & ~0xfffL, (r.size() + (r.base() & 0xfff) + 0xfff) & ~0xfffL));
            }
        }
        return w;
    }

    /** IA32_APIC_BASE, TSC_DEADLINE and the x2APIC MSRs, answered by each CPU's local APIC. */
    ApicMsrs apicMsrs() {
        return new ApicMsrs() {
            @Override
            public boolean handles(int msr) {
                return LocalApic.handlesMsr(msr);
            }

            @Override
            public OptionalLong read(int cpu, int msr) {
                return lapics.get(cpu).readMsr(msr);
            }

            @Override
            public boolean write(int cpu, int msr, long value) {
                return lapics.get(cpu).writeMsr(msr, value);
            }
        };
    }

    /**
     * The local APIC state a kernel finds at entry: base revision 5 prescribes Limine's; before
     * that Limine leaves what the firmware set.
     */
    void initialiseLapic(int cpu, boolean limineRevision5) {
        if (limineRevision5) {
            lapics.get(cpu).initialiseLikeLimine();
        } else {
            lapics.get(cpu).initialiseLikeFirmware();
        }
    }

    LocalApic lapic(int cpu) {
        return lapics.get(cpu);
    }

    Pic8259 pic() {
        return pic;
    }

    TimerQueue timers() {
        return timers;
    }

    // ---- events ----

    /**
     * The first exit-port write, power-off or reset ends the run; an exit-port write wins over a
     * power event still unseen, as the exit port is what a test kernel means to report.
     */
    private void raise(BoardEvent event) {
        if (event instanceof BoardEvent.Marker m) {
            marker = m;
        } else if (ending == null || event instanceof BoardEvent.ExitPort) {
            ending = event;
        }
    }

    /** What ended the last slice at a port write: the run's end (kept), else the marker (taken). */
    Optional<BoardEvent> takeEvent() {
        if (ending != null) {
            return Optional.of(ending);
        }
        BoardEvent taken = marker;
        marker = null;
        return Optional.ofNullable(taken);
    }

    /** True once the guest exited, powered off or reset. */
    boolean ended() {
        return ending != null;
    }

    // ---- serial, output, snapshots ----

    /** Bytes arriving on COM1's receive line (what a terminal would type); false when its FIFO is full. */
    boolean receiveSerial(byte[] bytes) {
        if (bytes.length > com1.receiveCapacity()) {
            return false;
        }
        com1.receive(bytes);
        return true;
    }

    /** A host key went down or up on the PS/2 keyboard (run-loop thread). */
    void hostKey(limu.devices.Ps2Key key, boolean down) {
        if (down) {
            keyboardController.press(key);
        } else {
            keyboardController.release(key);
        }
    }

    /** Queues bytes for COM1's receive line; {@link #feedSerialInput()} hands them over as its FIFO has room. */
    void queueSerialInput(byte[] bytes) {
        serialInput.queue(bytes);
    }

    /** COM1's bytes after the queued ones come from {@code source}. */
    void attachSerialSource(SerialSource source) {
        serialInput.attach(source);
    }

    /**
     * Moves queued and attached input into COM1's receive FIFO as a terminal with RTS/CTS flow control sends it (see
     * {@link SerialInput}). Called between slices. True if any moved.
     */
    boolean feedSerialInput() {
        return serialInput.feed(com1);
    }

    /** {@link #feedSerialInput()}, returning the bytes COM1 received (null: none), for the reverse-debugging journal. */
    byte[] takeSerialInput() {
        return serialInput.feedBytes(com1);
    }

    /** The bytes still queued for COM1, taken off the queue. */
    byte[] takeQueuedSerialInput() {
        return serialInput.takeQueued();
    }

    /** Queues {@code bytes} for COM1 ahead of those already queued. */
    void queueSerialInputFirst(byte[] bytes) {
        serialInput.queueFirst(bytes);
    }

    /**
     * While muted, serial and debugcon output is dropped: a re-executed stretch of the run prints what was
     * printed already. Flushes first, so nothing printed before is lost.
     */
    void muteOutputs(boolean mute) {
        flushOutputs();
        serialMute.mute(mute);
        debugconMute.mute(mute);
    }

    /** Bytes the guest has written to COM1 and to debugcon so far, for a snapshot ({@link #rewindOutputs}). */
    long[] outputPositions() {
        flushOutputs();
        return new long[] {serialMute.position, debugconMute.position};
    }

    /**
     * Reverse debugging went back to where the guest had written {@code positions} bytes ({@link #outputPositions}):
     * going forward again, the bytes it writes up to the furthest point reached before are not printed again (they
     * were, the first time); only those past it are.
     */
    void rewindOutputs(long[] positions) {
        flushOutputs();
        serialMute.position = positions[0];
        debugconMute.position = positions[1];
    }

    /**
     * An output stream that drops what it is given while muted, and the bytes below the furthest position it has
     * printed, after {@link #rewindOutputs} moved its position back.
     */
    static final class Mutable extends OutputStream {
        private final OutputStream out;
        private boolean muted;
        /** Bytes the guest has written, counted whether printed or not. */
        private long position;
        /** Bytes printed: the furthest position reached. */
        private long printed;

        Mutable(OutputStream out) {
            this.out = out;
        }

        void mute(boolean on) {
            muted = on;
        }

        @Override
        public void write(int b) throws IOException {
            position++;
            if (!muted && position > printed) {
                printed = position;
                out.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            long end = position + len;
            if (!muted && end > printed) {
                int skip = (int) Math.max(0, printed - position);
                out.write(b, off + skip, len - skip);
                printed = end;
            }
            position = end;
        }

        @Override
        public void flush() throws IOException {
            if (!muted) {
                out.flush();
            }
        }
    }

    /** True while queued input waits for room in COM1's FIFO. */
    boolean serialInputPending() {
        return serialInput.queuedPending();
    }

    /** True when the next bytes of the attached serial source could wake a CPU waiting in HLT (see {@link SerialInput}). */
    boolean serialInputAwaited() {
        return serialInput.awaitsSource(com1);
    }

    /** A restored machine has not been sent the input queued after its snapshot. */
    void dropSerialInput() {
        serialInput.dropQueued();
    }

    /**
     * Flushes the outputs when {@code periodNanos} have passed since the last time: a prompt or an echoed key
     * without a line end reaches a terminal or a network client within that time.
     */
    void flushOutputsIfDue(long nowNanos, long periodNanos) {
        if (nowNanos - lastFlush >= periodNanos) {
            flushOutputs();
        }
    }

    /** Hands buffered serial and debugcon bytes to their streams now. */
    void flushOutputs() {
        lastFlush = System.nanoTime();
        com1.flush();
        debugcon.flush();
        try {
            serialOutput.flush();
        } catch (IOException e) {
            // the run's outcome matters more than a closed stdout
        }
    }

    /** Why the board cannot be snapshotted: a plug-in device that does not implement {@link Snapshottable}. */
    Optional<String> snapshotRefusal() {
        return plugins.stream().filter(d -> !(d instanceof Snapshottable<?>)).findFirst()
                .map(d -> "snapshots need every --device plug-in to implement Snapshottable: " + d.name()
                        + " does not");
    }

    /**
     * Every device but COM1 (restored ahead of them, as a line source) in the order a snapshot
     * restores them: the sources of interrupt lines first, then the 8259s, the I/O APIC and the local APICs, whose restored state (pin levels,
     * IRR) wins over what the sources' restores drove into them. IllegalStateException for a
     * device that cannot be snapshotted (a plug-in without {@link Snapshottable}).
     */
    List<Snapshottable<?>> snapshottables() {
        List<Device> sources = new ArrayList<>(platformPorts);
        sources.remove(pic);
        for (Device d : mmio.devices()) {
            if (d != ioApic) {
                sources.add(d);
            }
        }
        for (Device d : plugins) {
            if (!sources.contains(d)) {
                sources.add(d);   // a plug-in on ports only
            }
        }
        List<Snapshottable<?>> all = new ArrayList<>();
        for (Device d : sources) {
            if (!(d instanceof Snapshottable<?> s)) {
                throw new IllegalStateException("device " + d.name() + " cannot be snapshotted");
            }
            all.add(s);
        }
        all.add(pic);
        all.add(ioApic);
        all.addAll(lapics);
        return all;
    }

    SerialState serialState() {
        return com1.state();
    }

    void restoreSerial(SerialState state) {
        com1.restore(state);
    }

    /** After a restore: no exit request, power event or marker is pending. */
    void forgetEvents() {
        debugExit.reset();
        ending = null;
        marker = null;
    }
}
