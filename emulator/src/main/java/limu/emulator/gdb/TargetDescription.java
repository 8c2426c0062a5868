// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

/**
 * The target description served as {@code target.xml}: always i386:x86-64, so gdb
 * never guesses a 32-bit layout ("Remote 'g' packet reply is too long"). The
 * register numbers and the 608-byte {@code g} layout are QEMU's x86_64 gdbstub's (its
 * {@code gdb-xml/i386-64bit.xml}),
 * spread over gdb's standard features so gdb knows each register's role:
 * core (GPRs, rip, eflags, selectors, x87), sse (xmm, mxcsr), segments
 * (fs_base, gs_base), and limu's own feature for k_gs_base, the control
 * registers and EFER.
 */
final class TargetDescription {
    static final String XML = """
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
              <architecture>i386:x86-64</architecture>
              <feature name="org.gnu.gdb.i386.core">
                <flags id="i386_eflags" size="4">
                  <field name="CF" start="0" end="0"/>
                  <field name="" start="1" end="1"/>
                  <field name="PF" start="2" end="2"/>
                  <field name="AF" start="4" end="4"/>
                  <field name="ZF" start="6" end="6"/>
                  <field name="SF" start="7" end="7"/>
                  <field name="TF" start="8" end="8"/>
                  <field name="IF" start="9" end="9"/>
                  <field name="DF" start="10" end="10"/>
                  <field name="OF" start="11" end="11"/>
                  <field name="NT" start="14" end="14"/>
                  <field name="RF" start="16" end="16"/>
                  <field name="VM" start="17" end="17"/>
                  <field name="AC" start="18" end="18"/>
                  <field name="VIF" start="19" end="19"/>
                  <field name="VIP" start="20" end="20"/>
                  <field name="ID" start="21" end="21"/>
                </flags>
                <reg name="rax" bitsize="64" type="int64" regnum="0"/>
                <reg name="rbx" bitsize="64" type="int64"/>
                <reg name="rcx" bitsize="64" type="int64"/>
                <reg name="rdx" bitsize="64" type="int64"/>
                <reg name="rsi" bitsize="64" type="int64"/>
                <reg name="rdi" bitsize="64" type="int64"/>
                <reg name="rbp" bitsize="64" type="data_ptr"/>
                <reg name="rsp" bitsize="64" type="data_ptr"/>
                <reg name="r8" bitsize="64" type="int64"/>
                <reg name="r9" bitsize="64" type="int64"/>
                <reg name="r10" bitsize="64" type="int64"/>
                <reg name="r11" bitsize="64" type="int64"/>
                <reg name="r12" bitsize="64" type="int64"/>
                <reg name="r13" bitsize="64" type="int64"/>
                <reg name="r14" bitsize="64" type="int64"/>
                <reg name="r15" bitsize="64" type="int64"/>
                <reg name="rip" bitsize="64" type="code_ptr"/>
                <reg name="eflags" bitsize="32" type="i386_eflags"/>
                <reg name="cs" bitsize="32" type="int32"/>
                <reg name="ss" bitsize="32" type="int32"/>
                <reg name="ds" bitsize="32" type="int32"/>
                <reg name="es" bitsize="32" type="int32"/>
                <reg name="fs" bitsize="32" type="int32"/>
                <reg name="gs" bitsize="32" type="int32"/>
                <reg name="st0" bitsize="80" type="i387_ext" regnum="33"/>
                <reg name="st1" bitsize="80" type="i387_ext"/>
                <reg name="st2" bitsize="80" type="i387_ext"/>
                <reg name="st3" bitsize="80" type="i387_ext"/>
                <reg name="st4" bitsize="80" type="i387_ext"/>
                <reg name="st5" bitsize="80" type="i387_ext"/>
                <reg name="st6" bitsize="80" type="i387_ext"/>
                <reg name="st7" bitsize="80" type="i387_ext"/>
                <reg name="fctrl" bitsize="32" type="int" group="float"/>
                <reg name="fstat" bitsize="32" type="int" group="float"/>
                <reg name="ftag" bitsize="32" type="int" group="float"/>
                <reg name="fiseg" bitsize="32" type="int" group="float"/>
                <reg name="fioff" bitsize="32" type="int" group="float"/>
                <reg name="foseg" bitsize="32" type="int" group="float"/>
                <reg name="fooff" bitsize="32" type="int" group="float"/>
                <reg name="fop" bitsize="32" type="int" group="float"/>
              </feature>
              <feature name="org.gnu.gdb.i386.sse">
                <vector id="v4f" type="ieee_single" count="4"/>
                <vector id="v2d" type="ieee_double" count="2"/>
                <vector id="v16i8" type="int8" count="16"/>
                <vector id="v8i16" type="int16" count="8"/>
                <vector id="v4i32" type="int32" count="4"/>
                <vector id="v2i64" type="int64" count="2"/>
                <union id="vec128">
                  <field name="v4_float" type="v4f"/>
                  <field name="v2_double" type="v2d"/>
                  <field name="v16_int8" type="v16i8"/>
                  <field name="v8_int16" type="v8i16"/>
                  <field name="v4_int32" type="v4i32"/>
                  <field name="v2_int64" type="v2i64"/>
                  <field name="uint128" type="uint128"/>
                </union>
                <reg name="xmm0" bitsize="128" type="vec128" regnum="49"/>
                <reg name="xmm1" bitsize="128" type="vec128"/>
                <reg name="xmm2" bitsize="128" type="vec128"/>
                <reg name="xmm3" bitsize="128" type="vec128"/>
                <reg name="xmm4" bitsize="128" type="vec128"/>
                <reg name="xmm5" bitsize="128" type="vec128"/>
                <reg name="xmm6" bitsize="128" type="vec128"/>
                <reg name="xmm7" bitsize="128" type="vec128"/>
                <reg name="xmm8" bitsize="128" type="vec128"/>
                <reg name="xmm9" bitsize="128" type="vec128"/>
                <reg name="xmm10" bitsize="128" type="vec128"/>
                <reg name="xmm11" bitsize="128" type="vec128"/>
                <reg name="xmm12" bitsize="128" type="vec128"/>
                <reg name="xmm13" bitsize="128" type="vec128"/>
                <reg name="xmm14" bitsize="128" type="vec128"/>
                <reg name="xmm15" bitsize="128" type="vec128"/>
                <reg name="mxcsr" bitsize="32" type="int" group="vector"/>
              </feature>
              <feature name="org.gnu.gdb.i386.segments">
                <reg name="fs_base" bitsize="64" type="int" regnum="24"/>
                <reg name="gs_base" bitsize="64" type="int"/>
              </feature>
              <feature name="org.limu.x86.system">
                <reg name="k_gs_base" bitsize="64" type="int" group="system" regnum="26"/>
                <reg name="cr0" bitsize="64" type="int" group="system"/>
                <reg name="cr2" bitsize="64" type="int" group="system"/>
                <reg name="cr3" bitsize="64" type="int" group="system"/>
                <reg name="cr4" bitsize="64" type="int" group="system"/>
                <reg name="cr8" bitsize="64" type="int" group="system"/>
                <reg name="efer" bitsize="64" type="int" group="system"/>
              </feature>
            </target>
            """;

    private TargetDescription() {
    }

    /** A qXfer:features:read reply for {@code annex} at {@code offset}, at most {@code length} characters. */
    static String read(String annex, long offset, long length) {
        if (!annex.equals("target.xml")) {
            return "E00";
        }
        if (offset >= XML.length()) {
            return "l";
        }
        int end = (int) Math.min(XML.length(), offset + Math.max(0, length));
        return (end == XML.length() ? "l" : "m") + XML.substring((int) offset, end);
    }
}
