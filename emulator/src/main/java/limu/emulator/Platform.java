package limu.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import limu.bootloader.DeviceAddresses;
import limu.devices.AcpiPm;
import limu.devices.ApicRouter;
import limu.devices.Device;
import limu.devices.DeviceContext;
import limu.devices.DeviceProvider;
import limu.devices.DeviceProviders;
import limu.devices.TimerScheduler;
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
import limu.devices.TickRate;
import limu.devices.TimerQueue;
import limu.devices.VirtualTime;
import limu.devices.WiredOr;
import limu.emulator.cpu.ApicMsrs;

/**
 * The PC around the CPUs, wired as QEMU's {@code pc} machine and as the MADT
 * says: a local APIC per CPU, the I/O APIC (ISA IRQ n on pin n, IRQ0 on pin
 * 2), the HPET, the 8259 pair feeding every LAPIC's LINT0, the PIT, the RTC,
 * the PS/2 controller and the ACPI PM block, all on one virtual clock and one
 * timer queue. Every interrupt input is a wired-OR, so two sources (the PIT
 * and the HPET in legacy mode, say) never fight over a line.
 */
final class Platform {
    private final TimerQueue timers = new TimerQueue();
    private final ApicRouter router = new ApicRouter();
    private final MmioBus mmio = new MmioBus();
    private final List<LocalApic> lapics = new ArrayList<>();
    private final IoApic ioApic;
    private final Pic8259 pic;
    private final WiredOr[] ioApicPins = new WiredOr[24];
    private final WiredOr[] picInputs = new WiredOr[16];
    private final VirtualTime time;
    private final List<Device> portDevices = new ArrayList<>();
    private final DeviceAddresses addresses;

    /**
     * @param now the machine's virtual time in nanoseconds (it counts the running slice's work)
     */
    Platform(int cpus, boolean x2apic, DeviceAddresses addresses, long bootEpochSeconds, LongSupplier now, IpiSink ipis,
             PowerListener power) {
        this.time = now::getAsLong;
        this.addresses = addresses;
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
        TickRate tsc = new TickRate(VirtualClock.TSC_HZ);
        for (int i = 0; i < cpus; i++) {
            LocalApic apic = new LocalApic(i, i == 0, x2apic, time, timers, router, ipis, tsc);
            lapics.add(apic);
            router.add(apic);
        }
        // the HPET asks for a timer's route at every level change: one wired-OR source per GSI, kept
        InterruptLine[] hpetRoutes = new InterruptLine[ioApicPins.length];
        Hpet hpet = new Hpet(addresses.hpet(), time, timers, g -> g < 0 || g >= hpetRoutes.length
                ? InterruptLine.DISCONNECTED
                : (hpetRoutes[g] != null ? hpetRoutes[g] : (hpetRoutes[g] = gsi(g))), isaIrq(0), isaIrq(8));
        Pit8254 pit = new Pit8254(time, timers, hpet.legacyGate(0, isaIrq(0)));
        Rtc rtc = new Rtc(bootEpochSeconds, time, timers, hpet.legacyGate(8, isaIrq(8)));
        mmio.attach(ioApic);
        mmio.attach(hpet);
        portDevices.add(pic);
        portDevices.add(pit);
        portDevices.add(rtc);
        portDevices.add(new Ps2Controller(power));
        portDevices.add(new AcpiPm(time, timers, isaIrq(9), power));
    }

    /**
     * Creates and attaches a plug-in device ({@code --device NAME[,key=value...]}):
     * its MMIO windows join the bus (mapped into every CPU with the others), its
     * ports are returned for the port bus. IllegalArgumentException for an unknown
     * name or bad options.
     */
    Device attachPlugin(DeviceProviders providers, MachineConfig.DeviceSpec spec, java.io.OutputStream console,
                        PowerListener power) {
        DeviceProvider provider = providers.named(spec.name()).orElseThrow(() -> new IllegalArgumentException(
                "--device " + spec.name() + ": no such device (limu devices lists them)"));
        Device device = provider.create(new DeviceContext() {
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
                return Platform.this.isaIrq(irq);
            }

            @Override
            public InterruptLine gsi(int gsi) {
                return Platform.this.gsi(gsi);
            }

            @Override
            public java.io.OutputStream console() {
                return console;
            }

            @Override
            public java.io.OutputStream openOutput(String path) throws java.io.IOException {
                return new java.io.BufferedOutputStream(new java.io.FileOutputStream(path));
            }

            @Override
            public PowerListener power() {
                return power;
            }
        }, spec.options());
        if (!device.mmio().isEmpty()) {
            mmio.attach(device);
        }
        return device;
    }

    /** A new source on ISA IRQ {@code n}: the 8259 input n and I/O APIC pin n (IRQ0: pin 2, per the MADT override). */
    InterruptLine isaIrq(int n) {
        return InterruptLines.fanOut(picInputs[n].newSource(), ioApicPins[n == 0 ? 2 : n].newSource());
    }

    /** A new source on I/O APIC input {@code gsi}; unwired GSIs are disconnected. */
    InterruptLine gsi(int gsi) {
        return gsi >= 0 && gsi < ioApicPins.length ? ioApicPins[gsi].newSource() : InterruptLine.DISCONNECTED;
    }

    /**
     * Every device in the order a snapshot restores them: the sources of interrupt lines first,
     * then the 8259s, the I/O APIC and the local APICs, whose restored state (pin levels, IRR)
     * wins over what the sources' restores drove into them. IllegalStateException for a device
     * that cannot be snapshotted (a plug-in without {@link limu.devices.Snapshottable}).
     */
    List<limu.devices.Snapshottable<?>> snapshottables() {
        List<Device> sources = new ArrayList<>(portDevices);
        sources.remove(pic);
        for (Device d : mmio.devices()) {
            if (d != ioApic) {
                sources.add(d);
            }
        }
        List<limu.devices.Snapshottable<?>> all = new ArrayList<>();
        for (Device d : sources) {
            if (!(d instanceof limu.devices.Snapshottable<?> s)) {
                throw new IllegalStateException("device " + d.name() + " cannot be snapshotted");
            }
            all.add(s);
        }
        all.add(pic);
        all.add(ioApic);
        all.addAll(lapics);
        return all;
    }

    /** The devices decoded on the port bus (the machine attaches them). */
    List<Device> portDevices() {
        return portDevices;
    }

    /** The device windows every CPU maps: the LAPIC page and each MMIO device's pages. */
    List<MmioRange> windows() {
        List<MmioRange> w = new ArrayList<>();
        w.add(new MmioRange(addresses.localApic(), 0x1000));
        for (Device d : mmio.devices()) {
            for (MmioRange r : d.mmio()) {
                w.add(new MmioRange(r.base() & ~0xfffL, (r.size() + (r.base() & 0xfff) + 0xfff) & ~0xfffL));
            }
        }
        return w;
    }

    /**
     * The local APIC state a kernel finds at entry. Base revision 5 prescribes it
     * (SVR 0x1FF, TPR 0, LVTs masked, LINT1 NMI). Before that Limine leaves what
     * the firmware set, and real firmware software-enables the APIC: observed under
     * OVMF, SVR 0x10F, LINT0 ExtINT, LINT1 NMI, the timer masked. Kernels rely on
     * it: the x2apic crate unmasks its timer before it sets SVR bit 8, which a
     * software-disabled APIC ignores (SDM 10.4.7.2).
     */
    void initialiseLapic(int cpu, boolean limineRevision5) {
        LocalApic apic = lapics.get(cpu);
        if (limineRevision5) {
            apic.initialiseLikeLimine();
            return;
        }
        apic.mmioWrite(0xF0, 4, 0x10F);          // SVR: enabled, spurious vector 0x0F
        apic.mmioWrite(0x350, 4, 0x700);         // LINT0: ExtINT
        apic.mmioWrite(0x360, 4, 0x400);         // LINT1: NMI
        apic.mmioWrite(0x320, 4, 0x10000);       // LVT timer: masked
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
        return address >= addresses.ioApic() && address < addresses.ioApic() + 0x1000;
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
}
