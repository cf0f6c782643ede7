#!/usr/bin/env python3
"""tcp_page.py ADDR PORT: a tiny loopback TCP server for tests.

Prints "ready" once listening. For each connection it reads up to the end of the
request headers (a blank line) and answers with a fixed page, then closes. It serves
one connection at a time until killed (tests stop it by PID)."""
import socket
import sys

PAGE = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from tcp_page\n"


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(PAGE)
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    main()
