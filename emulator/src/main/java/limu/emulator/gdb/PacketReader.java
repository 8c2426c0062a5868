// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * The framing half of the GDB remote serial protocol (sourceware "Remote Protocol",
 * "Overview"): bytes in, events out. {@code $payload#cs} is a packet whose checksum
 * is the mod-256 sum of the payload in two hex digits; {@code +}/{@code -} acknowledge;
 * a raw 0x03 outside a packet is an interrupt (Ctrl-C). Anything else between packets
 * is noise and ignored. Pure and allocation-light, so it can be fuzzed.
 */
final class PacketReader {
    /** What the byte stream said. */
    sealed interface Event {
    }

    /** A packet with a good checksum; {@code payload} is raw (escapes are decoded by the command, e.g. X). */
    record Packet(byte[] payload) implements Event {
        String text() {
            return new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** A packet whose checksum did not match (answer {@code -}). */
    record BadChecksum() implements Event {
    }

    /** A packet longer than the advertised PacketSize (answer {@code -} after its end, then an error). */
    record TooLong() implements Event {
    }

    record Ack() implements Event {
    }

    record Nak() implements Event {
    }

    record Interrupt() implements Event {
    }

    private enum State { IDLE, PAYLOAD, CHECK1, CHECK2 }

    private final int maxPayload;
    private final Consumer<Event> sink;
    private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
    private State state = State.IDLE;
    private int sum;
    private int check;
    private boolean tooLong;

    PacketReader(int maxPayload, Consumer<Event> sink) {
        this.maxPayload = maxPayload;
        this.sink = sink;
    }

    void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            feed(bytes[i] & 0xff);
        }
    }

    void feed(int b) {
        if (b == '$' && (state == State.CHECK1 || state == State.CHECK2)) {
            sink.accept(new BadChecksum());            // '$' is never a checksum digit: a packet starts
            startPacket();
            return;
        }
        switch (state) {
            case IDLE -> {
                if (b == '$') {
                    startPacket();
                } else if (b == '+') {
                    sink.accept(new Ack());
                } else if (b == '-') {
                    sink.accept(new Nak());
                } else if (b == 0x03) {
                    sink.accept(new Interrupt());
                }
            }
            case PAYLOAD -> {
                if (b == '#') {
                    state = State.CHECK1;
                } else if (b == '$') {
                    startPacket();                     // a lost '#': the new packet wins, as gdbserver does
                } else {
                    sum = (sum + b) & 0xff;
                    if (payload.size() < maxPayload) {
                        payload.write(b);
                    } else {
                        tooLong = true;
                    }
                }
            }
            case CHECK1 -> {
                check = hex(b) << 4;
                state = hex(b) < 0 ? State.IDLE : State.CHECK2;
                if (state == State.IDLE) {
                    sink.accept(new BadChecksum());
                }
            }
            case CHECK2 -> {
                state = State.IDLE;
                int low = hex(b);
                if (tooLong) {
                    sink.accept(new TooLong());
                } else if (low < 0 || (check | low) != sum) {
                    sink.accept(new BadChecksum());
                } else {
                    sink.accept(new Packet(payload.toByteArray()));
                }
            }
        }
    }

    private void startPacket() {
        state = State.PAYLOAD;
        payload.reset();
        sum = 0;
        tooLong = false;
    }

    static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
