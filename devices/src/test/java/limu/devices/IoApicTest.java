// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoApicTest {
    static final class RecordingBus implements ApicBus {
        final List<InterruptMessage> messages = new ArrayList<>();
        final List<Integer> eois = new ArrayList<>();

        @Override
        public void deliver(InterruptMessage message) {
            messages.add(message);
        }

        @Override
        public void broadcastEoi(int vector) {
            eois.add(vector);
        }
    }

    private final RecordingBus bus = new RecordingBus();
    private final IoApic ioapic = new IoApic(bus);

    private int read(int index) {
        ioapic.mmioWrite(IoApic.IOREGSEL, 4, index);
        return (int) ioapic.mmioRead(IoApic.IOWIN, 4);
    }

    private void write(int index, int value) {
        ioapic.mmioWrite(IoApic.IOREGSEL, 4, index);
        ioapic.mmioWrite(IoApic.IOWIN, 4, value & 0xFFFF_FFFFL);
    }

    private void program(int pin, long entry) {
        write(0x10 + 2 * pin + 1, (int) (entry >>> 32));
        write(0x10 + 2 * pin, (int) entry);
    }

    @Test
    void identificationRegistersAsQemu() {
        assertEquals(0, read(0));
        assertEquals(0x0017_0020, read(1));
        write(0, 0x0A00_0000);
        assertEquals(0x0A00_0000, read(0));
        assertEquals(0x0A00_0000, read(2));
        for (int pin = 0; pin < 24; pin++) {
            assertEquals(0x0001_0000, read(0x10 + 2 * pin), "masked after reset");
            assertEquals(0, read(0x11 + 2 * pin));
        }
        assertEquals(0x3F, ioapic.mmioRead(IoApic.IOREGSEL, 4) & 0xFF);
    }

    @Test
    void edgeTriggeredPinSendsOnRisingEdgesOnlyWhileUnmasked() {
        InterruptLine pin2 = ioapic.pin(2);
        pin2.set(true);
        pin2.set(false);
        assertTrue(bus.messages.isEmpty(), "masked edges are lost");
        program(2, 0x0300_0000_0000_0830L); // dest 3, logical, fixed, vector 0x30
        assertTrue(bus.messages.isEmpty());
        InterruptLines.pulse(pin2);
        pin2.set(true);
        pin2.set(true);
        assertEquals(2, bus.messages.size());
        InterruptMessage m = bus.messages.get(0);
        assertEquals(0x30, m.vector());
        assertEquals(DeliveryMode.FIXED, m.mode());
        assertTrue(m.logical());
        assertEquals(3, m.destination());
        assertEquals(-1, m.source());
        assertEquals(false, m.levelTriggered());
        assertEquals(0, read(0x14) & (1 << 12), "delivery status idle");
    }

    @Test
    void levelTriggeredPinUsesRemoteIrrUntilEoi() {
        program(9, 0x0000_0000_0000_A041L); // level, vector 0x41, physical dest 0
        InterruptLine sci = ioapic.pin(9);
        sci.set(true);
        assertEquals(1, bus.messages.size());
        assertTrue((read(0x10 + 18) & IoApic.RTE_REMOTE_IRR) != 0);
        sci.set(false);
        sci.set(true);
        assertEquals(1, bus.messages.size(), "no new message while Remote IRR is set");

        ioapic.endOfInterrupt(0x41);
        assertEquals(2, bus.messages.size(), "still asserted after EOI: sent again");
        assertTrue(bus.messages.get(1).levelTriggered());

        sci.set(false);
        ioapic.mmioWrite(IoApic.EOI, 4, 0x41);
        assertEquals(0, read(0x10 + 18) & IoApic.RTE_REMOTE_IRR);
        assertEquals(2, bus.messages.size());
        ioapic.endOfInterrupt(0x99);
        assertEquals(2, bus.messages.size());
    }

    @Test
    void unmaskingALevelPinThatIsAssertedSendsAtOnce() {
        ioapic.pin(5).set(true);
        program(5, 0x0100_0000_0000_8050L | 1L << 16);
        assertTrue(bus.messages.isEmpty());
        program(5, 0x0100_0000_0000_8050L);
        assertEquals(1, bus.messages.size());
        assertEquals(1, bus.messages.get(0).destination());
    }

    @Test
    void remoteIrrAndDeliveryStatusAreReadOnly() {
        write(0x10, 0xFFFF_FFFF);
        assertEquals(0x0001_AFFF, read(0x10));
        write(0x11, 0xFFFF_FFFF);
        assertEquals(0xFF00_0000, read(0x11));
    }

    @Test
    void stateRoundTrips() {
        program(1, 0x0000_0000_0000_0031L);
        ioapic.pin(1).set(true);
        IoApic.State s = ioapic.state();
        IoApic other = new IoApic(bus);
        other.restore(s);
        assertEquals(s, other.state());
        ioapic.reset();
        assertEquals(0x0001_0000, read(0x12));
    }
}
