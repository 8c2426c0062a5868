// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Blake2bTest {
    private static String hex(byte[] data) {
        return HexFormat.of().formatHex(Blake2b.hash512(data));
    }

    @Test
    void matchesReferenceDigests() {
        // RFC 7693 Appendix A ("abc") and values from Python's hashlib.blake2b around the block boundaries.
        assertEquals("786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b"
                + "903a685b1448b755d56f701afe9be2ce", hex(new byte[0]));
        assertEquals("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
                + "18d38aa8dbf1925ab92386edd4009923", hex("abc".getBytes(StandardCharsets.US_ASCII)));
        byte[] x128 = new byte[128];
        Arrays.fill(x128, (byte) 'x');
        assertEquals("082b91ea2e15d1556d2ceefdd5af5d64d31b4e01aff1959724578876293825b236ee8079173a0a38160d7d6685d6bca0"
                + "bfb62c177b3599b8727d9173e2115b91", hex(x128));
        byte[] y129 = new byte[129];
        Arrays.fill(y129, (byte) 'y');
        assertEquals("b5a49bd30a88f4b0a5c36d2d57c3a550e88d6884c99802aba1a1d70b1c804057b3a4188074287fcb322f91d7d54bee3f"
                + "8fa77b9594b377391a63936109f4d042", hex(y129));
        byte[] counting = new byte[768];
        for (int i = 0; i < counting.length; i++) {
            counting[i] = (byte) i;
        }
        assertEquals("323e97a7a859ee63c9013debb0ca995811e73117a2f574723416e596ebc184e37a59b66d2f597df4a7c1b0d1d41a1a7f"
                + "28774f46a6864d56c57b9d6c5f7302fb", hex(counting));
    }
}
