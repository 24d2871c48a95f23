# Compares the JSON shape of the input (the simulator's answer) with the
# fixtures passed as $fxw (--slurpfile fxw F, F holding a JSON array of the
# fixture samples of one endpoint). Paths collapse array indices to [] and the keys of data maps
# (tags, features, latency maps, DERP regions) to *. Prints one line per
# difference: a field the fixtures never have, a JSON type they never use
# (an integer where they have a real is fine), or a field every fixture
# instance has that the simulator leaves out (missing versus null).
def mapparents: ["tags", "features", "latency", "environment_variables", "RegionLatency",
                 "RegionV4Latency", "RegionV6Latency"];
def norm($p):
  [ range(0; $p | length) as $i
    | $p[$i] as $k
    | (if $i > 0 then $p[$i - 1] else null end) as $pr
    | (if $i > 1 then $p[$i - 2] else null end) as $ppr
    | if ($k | type) == "number" then "[]"
      elif ($pr != null and ($pr | type) == "string" and (mapparents | index([$pr])) != null) then "*"
      elif ($pr == "regions" and $ppr == "derp") then "*"
      else ($k | tostring) end ]
  | join("/");
def jt: if type == "number" then (if (tostring | test("^-?[0-9]+$")) then "integer" else "real" end)
        else type end;
def schema:
  [ {p: "", t: jt, k: (if type == "object" then keys else null end)} ]
  + [ paths as $p
      | getpath($p) as $v
      | {p: norm($p), t: ($v | jt), k: ($v | if type == "object" then keys else null end)} ];

($fxw[0] | map(schema) | add
 | group_by(.p)
 | map({key: .[0].p,
        value: {types: (map(.t) | unique),
                req: (map(select(.k != null) | .k)
                      | if length > 0 then reduce .[1:][] as $x (.[0]; . - (. - $x)) else null end)}})
 | from_entries) as $F
| [ schema[] as $e
    | $F[$e.p] as $f
    | if $f == null then "extra field /\($e.p) (\($e.t))"
      elif ($f.types | index([$e.t])) == null
           and (($e.t == "integer" and ($f.types | index(["real"])) != null) | not)
        then "type of /\($e.p) is \($e.t), fixtures have \($f.types | join("|"))"
      elif $e.k != null and $f.req != null and (($f.req - $e.k) | length) > 0
        then "missing in /\($e.p): \(($f.req - $e.k) | join(","))"
      else empty end ]
| unique | .[]
