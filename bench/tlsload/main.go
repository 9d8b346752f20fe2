// tlsload: TLS handshake load for Sluice's benchmark (scenario f). Every request is a NEW
// TCP + TLS 1.3 connection with a FULL handshake: the client has no session cache, so it
// never offers a PSK (no resumption, whatever tickets the server issues), and checks that
// with ConnectionState().DidResume.
//
//	tlsload -addr 127.0.0.1:18443 -path /small -c 64 -d 10s -expect-status 200 -expect-bytes 100
//
// Each connection: dial, handshake (ALPN http/1.1, TLS 1.3 only, X25519 key share, the
// server's certificate chain not verified but its CertificateVerify signature is, as in every
// TLS 1.3 client), one GET with "Connection: close", the whole body read, close. Latency is
// dial start to the last body byte. Bounded: stops after -d, every connection has -timeout.
// Prints wrk's WRKRESULT line (bench/wrk/common.lua's format) plus resumed= and
// err_size= (bodies of the wrong length, counted in err_status too).
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

type stats struct {
	lat                                                                    []time.Duration
	bytes                                                                  int64
	errConnect, errRead, errWrite, errTimeout, errStatus, errSize, resumed int64
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18443", "host:port to connect to")
	path := flag.String("path", "/small", "request path")
	host := flag.String("host", "localhost", "SNI and Host header")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration")
	timeout := flag.Duration("timeout", 5*time.Second, "per-connection deadline")
	wantStatus := flag.Int("expect-status", 200, "expected status")
	wantBytes := flag.Int64("expect-bytes", -1, "expected body length (-1: any)")
	flag.Parse()
	if *conns < 1 || *dur <= 0 {
		fmt.Fprintln(os.Stderr, "tlsload: -c >= 1 and -d > 0 please")
		os.Exit(2)
	}

	cfg := &tls.Config{
		ServerName:         *host,
		InsecureSkipVerify: true, // self-signed bench certificate; signatures are still checked
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: nil, // no cache: never offers a PSK -> every handshake is full
	}
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: " + *host + "\r\nUser-Agent: tlsload\r\nConnection: close\r\n\r\n")

	start := time.Now()
	deadline := start.Add(*dur)
	all := make([]*stats, *conns)
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		st := &stats{lat: make([]time.Duration, 0, 4096)}
		all[i] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialer := net.Dialer{Timeout: *timeout}
			br := bufio.NewReaderSize(nil, 4096)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				raw, err := dialer.Dial("tcp", *addr)
				if err != nil {
					st.errConnect++
					time.Sleep(10 * time.Millisecond) // do not spin on a refused port
					continue
				}
				_ = raw.SetDeadline(t0.Add(*timeout))
				c := tls.Client(raw, cfg)
				if err := c.Handshake(); err != nil {
					if isTimeout(err) {
						st.errTimeout++
					} else {
						st.errConnect++
					}
					raw.Close()
					continue
				}
				if c.ConnectionState().DidResume {
					st.resumed++
				}
				if _, err := c.Write(req); err != nil {
					st.errWrite++
					c.Close()
					continue
				}
				br.Reset(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					if isTimeout(err) {
						st.errTimeout++
					} else {
						st.errRead++
					}
					c.Close()
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				c.Close()
				if err != nil {
					if isTimeout(err) {
						st.errTimeout++
					} else {
						st.errRead++
					}
					continue
				}
				// only finished requests count, like wrk
				st.lat = append(st.lat, time.Since(t0))
				st.bytes += n
				if resp.StatusCode != *wantStatus {
					st.errStatus++
				} else if *wantBytes >= 0 && n != *wantBytes {
					st.errStatus++
					st.errSize++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var tot stats
	for _, st := range all {
		tot.lat = append(tot.lat, st.lat...)
		tot.bytes += st.bytes
		tot.errConnect += st.errConnect
		tot.errRead += st.errRead
		tot.errWrite += st.errWrite
		tot.errTimeout += st.errTimeout
		tot.errStatus += st.errStatus
		tot.errSize += st.errSize
		tot.resumed += st.resumed
	}
	sort.Slice(tot.lat, func(i, j int) bool { return tot.lat[i] < tot.lat[j] })
	pct := func(p float64) int64 {
		if len(tot.lat) == 0 {
			return 0
		}
		i := int(p / 100 * float64(len(tot.lat)-1))
		return tot.lat[i].Microseconds()
	}
	var sum time.Duration
	for _, l := range tot.lat {
		sum += l
	}
	mean := 0.0
	if len(tot.lat) > 0 {
		mean = float64(sum.Microseconds()) / float64(len(tot.lat))
	}
	n := len(tot.lat)
	fmt.Printf("tlsload: %d full TLS 1.3 handshakes + requests in %.2fs (%.0f/s), %d resumed, errors: connect/handshake %d, read %d, write %d, timeout %d, status %d (wrong size %d)\n",
		n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), tot.resumed, tot.errConnect, tot.errRead, tot.errWrite, tot.errTimeout, tot.errStatus, tot.errSize)
	fmt.Printf("WRKRESULT requests=%d duration_us=%d bytes=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f resumed=%d err_size=%d\n",
		n, elapsed.Microseconds(), tot.bytes, tot.errConnect, tot.errRead, tot.errWrite, tot.errTimeout, tot.errStatus,
		pct(50), pct(90), pct(99), pct(100), mean, tot.resumed, tot.errSize)
	if n == 0 {
		os.Exit(1)
	}
}
