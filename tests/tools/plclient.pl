#!/usr/bin/perl
# plclient -- perl's Socket module (and the core gethostby* built-ins) as a resolver
# client, printing every result in a stable text form (tests/integration/30_clients.sh
# compares glibc alone with the shim).
#
#   plclient.pl NAME... [-- ADDR...]
#   plclient.pl --herror gethostbyname NAME | --herror gethostbyaddr ADDR
#
# For each NAME: Socket::getaddrinfo (AF_UNSPEC/SOCK_STREAM port 80, and AF_INET6 with
# AI_CANONNAME), gethostbyname in list context. For each ADDR: Socket::getnameinfo with
# flags 0 and NI_NAMEREQD, gethostbyaddr in list context.
#
# --herror: one call, meant as the first lookup of a fresh process, as a program makes it:
# prints its result and $? (perl sets $? to the thread's global h_errno when the call fails,
# pp_ghostent/pp_ghbyaddr; a success leaves $? as it was, 0).
use strict;
use warnings;
use Socket qw(:addrinfo AF_INET AF_INET6 AF_UNSPEC SOCK_STREAM inet_ntop inet_pton
	sockaddr_family unpack_sockaddr_in unpack_sockaddr_in6 pack_sockaddr_in pack_sockaddr_in6);

sub sa_text {
	my ($sa) = @_;
	my $fam = sockaddr_family($sa);
	if ($fam == AF_INET) {
		my ($port, $a) = unpack_sockaddr_in($sa);
		return "inet " . inet_ntop(AF_INET, $a) . " port $port";
	}
	my ($port, $a) = unpack_sockaddr_in6($sa);
	return "inet6 " . inet_ntop(AF_INET6, $a) . " port $port";
}

sub gai {
	my ($name, $service, $family, $flags) = @_;
	my ($err, @res) = getaddrinfo($name, $service,
		{ family => $family, socktype => SOCK_STREAM, flags => $flags });
	return "error " . ($err + 0) . " ($err)" if $err;
	return join("; ", map { sa_text($_->{addr}) . " canon=" . ($_->{canonname} // "-") } @res);
}

sub hostent {
	my @h = @_;
	return "undef" unless @h;
	my ($name, $aliases, $type, $len, @addrs) = @h;
	return "name=$name aliases=[$aliases] type=$type len=$len addrs="
		. join(",", map { inet_ntop($type, $_) } @addrs);
}

if (@ARGV == 3 && $ARGV[0] eq "--herror") {
	my ($call, $arg) = @ARGV[1, 2];
	my @h;
	if ($call eq "gethostbyname") {
		@h = gethostbyname($arg);
	} elsif ($call eq "gethostbyaddr") {
		my $fam = $arg =~ /:/ ? AF_INET6 : AF_INET;
		@h = gethostbyaddr(inet_pton($fam, $arg), $fam);
	} else {
		die "plclient: unknown call $call\n";
	}
	my $status = $?;
	print "$call($arg): ", hostent(@h), " \$?=$status\n";
	exit 0;
}

my (@names, @addrs);
my $in_addrs = 0;
for (@ARGV) {
	if ($_ eq "--") { $in_addrs = 1; next; }
	if ($in_addrs) { push @addrs, $_ } else { push @names, $_ }
}
for my $n (@names) {
	print "getaddrinfo($n, 80, UNSPEC): ", gai($n, "80", AF_UNSPEC, 0), "\n";
	print "getaddrinfo($n, http, INET6, CANONNAME): ", gai($n, "http", AF_INET6, AI_CANONNAME), "\n";
	print "gethostbyname($n): ", hostent(gethostbyname($n)), "\n";
}
for my $a (@addrs) {
	my $v6 = $a =~ /:/;
	my $fam = $v6 ? AF_INET6 : AF_INET;
	my $packed = inet_pton($fam, $a);
	my $sa = $v6 ? pack_sockaddr_in6(22, $packed) : pack_sockaddr_in(22, $packed);
	for my $f ([0, "0"], [NI_NAMEREQD, "NAMEREQD"]) {
		my ($err, $host, $serv) = getnameinfo($sa, $f->[0]);
		print "getnameinfo($a, 22, $f->[1]): ",
			($err ? "error " . ($err + 0) . " ($err)" : "host=$host serv=$serv"), "\n";
	}
	print "gethostbyaddr($a): ", hostent(gethostbyaddr($packed, $fam)), "\n";
}
