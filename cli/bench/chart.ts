/**
 * The benchmark's chart: throughput per mode as horizontal bars (database MB per second of wall
 * time), dumps first, then restores. Plain SVG, no script, so it renders anywhere.
 */

export interface ChartBar {
    readonly label: string;
    readonly mbPerSecond: number;
    readonly kind: "ceiling" | "ours" | "other" | "restore";
}

const COLOURS: Readonly<Record<ChartBar["kind"], string>> = { ceiling: "#9aa5b1", ours: "#1f6feb", other: "#d29922", restore: "#2da44e" };

function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An SVG bar chart of the bars, longest scaled to the full width; `title` above. */
export function barChartSvg(title: string, bars: readonly ChartBar[]): string {
    for (const b of bars) {
        if (!Number.isFinite(b.mbPerSecond) || b.mbPerSecond < 0) throw new RangeError(`${b.label}: ${b.mbPerSecond} MB/s is not a non-negative number`);
    }
    const labelWidth = 300;
    const barWidth = 420;
    const rowHeight = 28;
    const top = 40;
    const max = Math.max(...bars.map((b) => b.mbPerSecond), 0.001);
    const height = top + bars.length * rowHeight + 20;
    const rows = bars.map((b, i) => {
        const y = top + i * rowHeight;
        const w = Math.max(1, Math.round((b.mbPerSecond / max) * barWidth));
        return [
            `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escapeXml(b.label)}</text>`,
            `<rect class="bar ${b.kind}" x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" fill="${COLOURS[b.kind]}"><title>${escapeXml(b.label)}: ${b.mbPerSecond.toFixed(1)} MB/s</title></rect>`,
            `<text x="${labelWidth + w + 6}" y="${y + 18}">${b.mbPerSecond.toFixed(1)} MB/s</text>`,
        ].join("");
    });
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 110}" height="${height}" font-family="sans-serif" font-size="13">`,
        `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
        ...rows,
        "</svg>",
        "",
    ].join("\n");
}
