/* TOA: the client's address as a TCP option, for real servers that run the
 * TOA kernel module (DPVS's FULLNAT, the Alibaba LVS kernels). The layout is
 * DPVS's struct tcpopt_ip4_addr: kind 254, length 8, port, address, both in
 * network order. The module reads it from the ACK that completes the
 * handshake, so the director adds it to the client's SYN and to every
 * packet that still acknowledges only the server's SYN (stream.c). */
#include <string.h>

#include "tcpx.h"

void fl_toa_option(uint32_t cip, uint16_t cport, uint8_t out[FL_TOA_LEN])
{
	out[0] = FL_TOA_KIND;
	out[1] = FL_TOA_LEN;
	memcpy(out + 2, &cport, 2);
	memcpy(out + 4, &cip, 4);
}
