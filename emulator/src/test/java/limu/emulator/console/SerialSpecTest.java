// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SerialSpecTest {
    @Test
    void stdioFileAndBarePaths() {
        assertEquals(new SerialSpec.Stdio(), SerialSpec.parse("stdio"));
        assertEquals(new SerialSpec.File(Path.of("out/com1.log")), SerialSpec.parse("file:out/com1.log"));
        assertEquals(new SerialSpec.File(Path.of("com1.log")), SerialSpec.parse("com1.log"));
        assertEquals(new SerialSpec.File(Path.of("./stdio")), SerialSpec.parse("./stdio"));
        assertEquals(new SerialSpec.File(Path.of("tcp")), SerialSpec.parse("tcp"), "no colon: a file named tcp");
    }

    @Test
    void tcpIsLoopbackUnlessAHostIsGiven() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        assertEquals(new SerialSpec.Tcp(new InetSocketAddress(loopback, 4555), false), SerialSpec.parse("tcp::4555"));
        assertEquals(new SerialSpec.Tcp(new InetSocketAddress(loopback, 4555), false), SerialSpec.parse("tcp:4555"));
        assertEquals(new SerialSpec.Tcp(new InetSocketAddress(loopback, 0), true), SerialSpec.parse("tcp::0,wait"));
        SerialSpec.Tcp any = (SerialSpec.Tcp) SerialSpec.parse("tcp:0.0.0.0:7000");
        assertTrue(any.address().getAddress().isAnyLocalAddress());
        assertEquals(7000, any.address().getPort());
        SerialSpec.Tcp v6 = (SerialSpec.Tcp) SerialSpec.parse("tcp:[::1]:7001,wait");
        assertTrue(v6.address().getAddress().isLoopbackAddress() && v6.waitForClient());
    }

    @Test
    void malformedValuesSayWhatIsWrong() {
        assertEquals("--serial tcp::99999: '99999' is not a port (0 to 65535)",
                assertThrows(IllegalArgumentException.class, () -> SerialSpec.parse("tcp::99999")).getMessage());
        assertEquals("--serial tcp::4555,server: unknown option 'server' (only wait)",
                assertThrows(IllegalArgumentException.class, () -> SerialSpec.parse("tcp::4555,server")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SerialSpec.parse("file:"));
        assertThrows(IllegalArgumentException.class, () -> SerialSpec.parse(""));
    }
}
