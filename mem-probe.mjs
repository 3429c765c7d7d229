const f = () => { const m = process.memoryUsage(); return `rss ${Math.round(m.rss/1048576)} heap ${Math.round(m.heapUsed/1048576)}/${Math.round(m.heapTotal/1048576)} ext ${Math.round(m.external/1048576)}`; };
for (const m of process.argv.slice(2)) { const t=performance.now(); await import(m); console.log(m.padEnd(40), f(), Math.round(performance.now()-t),'ms'); }
