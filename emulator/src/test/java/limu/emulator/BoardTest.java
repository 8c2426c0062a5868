// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Optional;
import limu.bootloader.DeviceAddresses;
import limu.devices.AcpiPm;
import limu.devices.IpiSink;
import limu.devices.LocalApic;
import limu.devices.MmioRange;
import limu.devices.Ps2Controller;
import limu.devices.Serial16550;
import org.junit.jupiter.api.Test;

class BoardTest {
    private final ByteArrayOutputStream serial = new ByteArrayOutputStream();
    private final Board board = new Board(MachineConfig.builder(serial).cpus(2).build(), DeviceAddresses.DEFAULT,
            () -> 0, IpiSink.NONE);
    private final DeviceAccess cpu0 = board.accessFor(0);

    @Test
    void comOneWritesReachTheSerialOutputWithoutStopping() {
        assertFalse(cpu0.portOut(Serial16550.COM1, 1, 'A'));
        board.flushOutputs();
        assertEquals("A", serial.toString());
        assertEquals(Optional.empty(), board.takeEvent());
    }

    @Test
    void comOneInterruptsArriveOnIsaIrqFourThroughTheIoApic() {
        board.initialiseLapic(0, true);
        long ioApic = DeviceAddresses.DEFAULT.ioApic();
        // redirection entry 4: vector 0x34, fixed, edge, unmasked, to APIC ID 0
        cpu0.mmioWrite(ioApic, 4, limu.devices.IoApic.IOREDTBL + 2 * 4);
        cpu0.mmioWrite(ioApic + limu.devices.IoApic.IOWIN, 4, 0x34);
        cpu0.mmioWrite(ioApic, 4, limu.devices.IoApic.IOREDTBL + 2 * 4 + 1);
        cpu0.mmioWrite(ioApic + limu.devices.IoApic.IOWIN, 4, 0);
        cpu0.portOut(Serial16550.COM1 + Serial16550.IER, 1, 0x01);
        assertTrue(board.receiveSerial(new byte[] {'a'}));
        assertFalse(board.lapic(0).irrSet(0x34), "MCR.OUT2 clear: the UART's interrupt stays off the bus");

        cpu0.portOut(Serial16550.COM1 + Serial16550.MCR, 1, 0x08);
        assertTrue(board.lapic(0).irrSet(0x34), "OUT2 set: IRQ 4 raised");
        assertEquals(0x04, cpu0.portIn(Serial16550.COM1 + Serial16550.IIR_FCR, 1));
        assertEquals('a', cpu0.portIn(Serial16550.COM1, 1));
        assertEquals(0x01, cpu0.portIn(Serial16550.COM1 + Serial16550.IIR_FCR, 1));
    }

    @Test
    void comOneInterruptsArriveOnIsaIrqFourThroughThe8259() {
        // ICW1-4: vectors 0x20 (master) and 0x28, cascade on IRQ 2; then unmask IRQ 4 only
        int[][] init = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01},
                {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xEF}, {0xA1, 0xFF}};
        for (int[] w : init) {
            cpu0.portOut(w[0], 1, w[1]);
        }
        cpu0.portOut(Serial16550.COM1 + Serial16550.MCR, 1, 0x08);
        assertFalse(board.pic().outputLevel());
        cpu0.portOut(Serial16550.COM1 + Serial16550.IER, 1, 0x02);
        assertTrue(board.pic().outputLevel(), "THR empty as soon as it is enabled");
        assertEquals(0x24, board.pic().acknowledge(), "IRQ 4 at the master's base 0x20");
    }

    @Test
    void queuedInputArrivesWhileRtsIsSetAndAsTheFifoHasRoom() {
        board.queueSerialInput("0123456789abcdefXYZ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertFalse(board.feedSerialInput(), "RTS clear: the terminal holds its input");
        assertEquals(0x60, cpu0.portIn(Serial16550.COM1 + Serial16550.LSR, 1));
        cpu0.portOut(Serial16550.COM1 + Serial16550.IIR_FCR, 1, 0x01);
        cpu0.portOut(Serial16550.COM1 + Serial16550.MCR, 1, 0x02);
        assertTrue(board.feedSerialInput());
        assertTrue(board.serialInputPending());
        assertFalse(board.feedSerialInput(), "the FIFO is full");
        StringBuilder got = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            got.append((char) cpu0.portIn(Serial16550.COM1, 1));
        }
        assertTrue(board.feedSerialInput());
        while ((cpu0.portIn(Serial16550.COM1 + Serial16550.LSR, 1) & 1) != 0) {
            got.append((char) cpu0.portIn(Serial16550.COM1, 1));
        }
        assertEquals("0123456789abcdefXYZ", got.toString(), "nothing overrun, nothing lost");
        assertFalse(board.serialInputPending());
        board.queueSerialInput(new byte[] {1});
        board.dropSerialInput();
        assertFalse(board.feedSerialInput());
    }

    @Test
    void exitPortEndsTheRunForGood() {
        assertTrue(cpu0.portOut(0xF4, 1, 0x10));
        StopReason r = board.takeEvent().orElseThrow().stopReason();
        assertEquals(new StopReason.GuestExit(0x10, 33), r);
        assertEquals(Optional.of(new BoardEvent.ExitPort(0x10, 33)), board.takeEvent(), "kept, not taken");
        assertTrue(board.ended());
        assertTrue(cpu0.portOut(0x80, 1, 0), "every later write stops the slice too");
    }

    @Test
    void markerStopsOnceAndIsTaken() {
        assertTrue(cpu0.portOut(Machine.SNAPSHOT_MARKER_PORT, 1, 7));
        assertEquals(Optional.of(new BoardEvent.Marker(7)), board.takeEvent());
        assertEquals(Optional.empty(), board.takeEvent());
        assertFalse(board.ended());
        assertFalse(cpu0.portOut(0x80, 1, 0));
        assertEquals(0xFF, cpu0.portIn(Machine.SNAPSHOT_MARKER_PORT, 1), "no register behind the marker");
    }

    @Test
    void acpiPowerOffAndAResetAfterItKeepThePowerOff() {
        assertTrue(cpu0.portOut(AcpiPm.PM1_CONTROL, 2, AcpiPm.SLP_EN));
        assertTrue(board.takeEvent().orElseThrow() instanceof BoardEvent.PowerOff);
        cpu0.portOut(Ps2Controller.STATUS_PORT, 1, 0xFE);
        assertTrue(board.takeEvent().orElseThrow() instanceof BoardEvent.PowerOff, "the first end counts");
    }

    @Test
    void exitPortWinsOverAnUnseenReset() {
        assertTrue(cpu0.portOut(Ps2Controller.STATUS_PORT, 1, 0xFE));
        assertTrue(board.takeEvent().orElseThrow() instanceof BoardEvent.Reset);
        cpu0.portOut(0xF4, 1, 0x11);
        assertEquals(new StopReason.GuestExit(0x11, 35), board.takeEvent().orElseThrow().stopReason());
        board.forgetEvents();
        assertFalse(board.ended());
        assertEquals(Optional.empty(), board.takeEvent());
        cpu0.portOut(0xF4, 1, 0x12);
        assertEquals(Optional.of(new BoardEvent.ExitPort(0x12, 37)), board.takeEvent(), "the exit port works again");
    }

    @Test
    void eachCpuSeesItsOwnLocalApicAndTheIoApicWriteAsksForALook() {
        board.initialiseLapic(0, true);
        board.initialiseLapic(1, false);
        long svr = LocalApic.DEFAULT_BASE + LocalApic.SVR;
        assertEquals(0x1FF, cpu0.mmioRead(svr, 4));
        assertEquals(0x10F, board.accessFor(1).mmioRead(svr, 4));
        assertTrue(cpu0.mmioWrite(LocalApic.DEFAULT_BASE + LocalApic.TPR, 4, 0x20));
        assertEquals(0x20, cpu0.mmioRead(LocalApic.DEFAULT_BASE + LocalApic.TPR, 4));
        assertEquals(0, board.accessFor(1).mmioRead(LocalApic.DEFAULT_BASE + LocalApic.TPR, 4));
        assertTrue(cpu0.mmioWrite(DeviceAddresses.DEFAULT.ioApic(), 4, 0x10), "IOREGSEL");
        assertFalse(cpu0.mmioWrite(DeviceAddresses.DEFAULT.hpet() + 0x10, 8, 0));
    }

    @Test
    void windowsAreTheLocalApicIoApicAndHpetPages() {
        assertEquals(List.of(new MmioRange(0xFEE0_0000L, 0x1000), new MmioRange(0xFEC0_0000L, 0x1000),
                new MmioRange(0xFED0_0000L, 0x1000)), board.windows());
    }

    @Test
    void unknownPluginDeviceIsRefused() {
        MachineConfig config = MachineConfig.builder(serial)
                .devices(List.of(MachineConfig.DeviceSpec.parse("no-such-device"))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Board(config, DeviceAddresses.DEFAULT, () -> 0, IpiSink.NONE));
        assertTrue(e.getMessage().contains("no such device"), e.getMessage());
    }

    @Test
    void snapshotOrderEndsWithThePicsTheIoApicAndTheLocalApics() {
        List<limu.devices.Snapshottable<?>> all = board.snapshottables();
        assertEquals(List.of("pic", "ioapic", "lapic0", "lapic1"), all.subList(all.size() - 4, all.size()).stream()
                .map(s -> ((limu.devices.Device) s).name()).toList());
        assertTrue(board.snapshottables().stream().noneMatch(s -> s instanceof Serial16550), "COM1 has its own slot");
    }

    @Test
    void aHostKeyRaisesIrq1OnThe8259AndTheIoApicAsTheMadtSays() {
        board.initialiseLapic(0, false);   // LINT0 ExtINT, as firmware leaves it
        int[][] icw = {{0x20, 0x11}, {0xA0, 0x11}, {0x21, 0x20}, {0xA1, 0x28}, {0x21, 4}, {0xA1, 2}, {0x21, 1},
            {0xA1, 1}, {0x21, 0xFD}, {0xA1, 0xFF}};
        for (int[] w : icw) {
            cpu0.portOut(w[0], 1, w[1]);
        }
        long ioApic = DeviceAddresses.DEFAULT.ioApic();
        cpu0.mmioWrite(ioApic, 4, 0x12);            // redirection entry 1, low half
        cpu0.mmioWrite(ioApic + 0x10, 4, 0x41);     // vector 0x41, fixed, edge, unmasked
        cpu0.mmioWrite(ioApic, 4, 0x13);
        cpu0.mmioWrite(ioApic + 0x10, 4, 0);        // to APIC ID 0
        assertFalse(board.lapic(0).extIntPending());

        board.hostKey(limu.devices.Ps2Key.A, true);
        assertTrue(board.lapic(0).extIntPending(), "8259 input 1 through LINT0");
        assertEquals(0x21, board.pic().acknowledge());
        assertEquals(0x41, board.lapic(0).nextDeliverable(), "I/O APIC pin 1");
        assertEquals(0x01, cpu0.portIn(Ps2Controller.STATUS_PORT, 1) & 0x01);
        assertEquals(0x1E, cpu0.portIn(Ps2Controller.DATA_PORT, 1), "set 1 make code of A, translated");
        board.hostKey(limu.devices.Ps2Key.A, false);
        assertEquals(0x9E, cpu0.portIn(Ps2Controller.DATA_PORT, 1));
    }

    private Board boardWith(String... devices) {
        List<MachineConfig.DeviceSpec> specs = java.util.Arrays.stream(devices).map(MachineConfig.DeviceSpec::parse)
                .toList();
        return new Board(MachineConfig.builder(serial).devices(specs).build(), DeviceAddresses.DEFAULT, () -> 0,
                IpiSink.NONE);
    }

    @Test
    void aSnapshottablePlugInOnPortsTakesPartInSnapshots() {
        Board b = boardWith("latch");
        assertEquals(Optional.empty(), b.snapshotRefusal());
        DeviceAccess cpu = b.accessFor(0);
        cpu.portOut(TestPlugins.Latch.PORT, 1, 0x5a);
        List<limu.devices.Snapshottable<?>> all = b.snapshottables();
        limu.devices.Snapshottable<?> latch = all.stream().filter(d -> d instanceof TestPlugins.Latch).findFirst()
                .orElseThrow(() -> new AssertionError("the port-only plug-in is not among " + all));
        assertEquals(new TestPlugins.Latch.State(0x5a), latch.state());
    }

    @Test
    void aPlugInWithoutSnapshottableIsNamedWhenASnapshotIsRefused() {
        Board b = boardWith("latch", "opaque");
        assertEquals(Optional.of("snapshots need every --device plug-in to implement Snapshottable: opaque does not"),
                b.snapshotRefusal());
        assertThrows(IllegalStateException.class, b::snapshottables);
    }
}
