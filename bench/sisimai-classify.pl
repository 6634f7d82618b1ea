#!/usr/bin/perl
# Runs Sisimai (Debian libsisimai-perl 4.25) on many messages in one process, for
# bench/classify-accuracy.ts: one perl start-up for a whole corpus, not one per message.
#
# Usage: perl bench/sisimai-classify.pl FILE...
# Prints one JSON line per file, in argument order:
#   {"file": ..., "ms": ..., "records": [{recipient, reason, deliverystatus, replycode,
#    feedbacktype, action, smtpagent, softbounce}, ...]}
# or {"file": ..., "ms": ..., "error": ...} when Sisimai dies on the file. "records" is empty
# when Sisimai finds no bounce or complaint in the message; a report about several recipients
# gives one record each.
use strict;
use warnings;
use JSON::PP;
use Sisimai;
use Time::HiRes qw(time);

my @FIELDS = qw(recipient reason deliverystatus replycode feedbacktype action smtpagent softbounce);
# ASCII output: Sisimai hands back byte strings and character strings alike; escaping keeps the
# line valid JSON either way.
my $json = JSON::PP->new->ascii->canonical;

$| = 1;
for my $file (@ARGV) {
    my $start = time;
    my $line = { 'file' => $file };
    my $records = eval { Sisimai->make($file) };
    if ($@) {
        $line->{'error'} = "$@";
    } else {
        my @list;
        for my $data (@{ $records // [] }) {
            my $hash = $data->damn;
            push @list, { map { ($_ => $hash->{$_}) } @FIELDS };
        }
        $line->{'records'} = \@list;
    }
    $line->{'ms'} = (time - $start) * 1000;
    print $json->encode($line), "\n";
}
